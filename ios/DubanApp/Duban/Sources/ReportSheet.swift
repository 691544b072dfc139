// A progress or completion report (进展汇报 / 完成汇报) with photos taken on site: the camera
// gives a JPEG, the phone's position goes with it, the core's photo pipeline turns it into
// evidence (upright, resized, watermarked with time, place, item number and person; kept on
// the device until sent), and the report cites it. Works offline.
//
// When the item is a rectification with "before" photos (整改前), the person chooses which
// one each new photo answers (the first unanswered one unless they choose another, or none):
// its hash goes with the photo as `Capture.answers`, and the item screen then shows the pair.
//
// A work order's reply (the completion report of a hotline order) follows the office's reply
// template: one box per section (the core's `replySections(task:)`), sent as
// `composeReply(sections:texts:)`, the form the core checks.

import DubanCore
import SwiftUI
import UIKit

@MainActor
struct ReportSheet: View {
    let task: String
    let kind: ReportKind
    /// The item's "before" photos with the "after" photos that answer them so far.
    let pairs: [PhotoPairRow]
    @EnvironmentObject var store: DubanStore
    @StateObject var location = LocationProvider()
    @State var text = ""
    /// A work order's reply template; empty: one free text.
    @State var sections: [String] = []
    /// The text of each of `sections`, in order.
    @State var sectionTexts: [String] = []
    @State var percent: Double
    @State var photos: [Evidence] = []
    /// The "before" photo the next photo answers (its hash); none: it answers none.
    @State var answering: String?
    /// Which "before" photo each photo attached here answers: photo hash → before hash.
    @State var answered: [String: String] = [:]
    @State var picker: PickerSource? = nil
    @State var attaching = false
    @State var photoFailure: Failure? = nil

    init(task: String, kind: ReportKind, progress: UInt8, pairs: [PhotoPairRow] = []) {
        self.task = task
        self.kind = kind
        self.pairs = pairs
        _percent = State(initialValue: Double(progress))
        _answering = State(initialValue: pairs.first { $0.after.isEmpty }?.before.hash)
    }

    var body: some View {
        ActForm(kind == .progress ? "进展汇报" : "完成汇报", canSubmit: canSubmit, submit: submit) {
            if sections.isEmpty {
                Section {
                    TextArea(prompt: kind == .progress ? "本阶段进展情况" : "完成情况", text: $text)
                } header: {
                    Text("汇报内容")
                }
            } else {
                ForEach(Array(sections.enumerated()), id: \.offset) { index, section in
                    Section {
                        TextArea(prompt: "请填写本项答复", text: sectionBinding(index))
                    } header: {
                        Text(verbatim: section)
                    }
                }
            }
            if kind == .progress {
                Section {
                    Slider(value: $percent, in: 0...100, step: 5)
                    Text(verbatim: "\(Int(percent))%")
                        .monospacedDigit()
                } header: {
                    Text("完成进度")
                }
            }
            if !pairs.isEmpty {
                Section {
                    beforeChoices
                } header: {
                    Text("下一张照片对应的整改前照片")
                } footer: {
                    Text("新照片将作为所选整改前照片的整改后照片;已有整改后照片的标有对勾。")
                }
            }
            Section {
                if !photos.isEmpty {
                    photoStrip
                }
                if attaching {
                    AttachingLine()
                }
                if let photoFailure {
                    FailureText(failure: photoFailure)
                }
                PhotoSourceButtons(picker: $picker, disabled: attaching)
                LocationLine(location: location)
            } header: {
                Text("现场照片")
            } footer: {
                Text("相册中的照片会标注为非现场拍摄,请尽量现场拍照。")
            }
        }
        .photoPicker($picker) { shot in
            Task { await attach(shot) }
        }
        .onAppear { location.start() }
        .task { await loadSections() }
        .onDisappear { location.stop() }
    }

    /// The "before" photos to choose from, and "none".
    private var beforeChoices: some View {
        ScrollView(.horizontal, showsIndicators: false) {
            HStack(alignment: .top, spacing: 8) {
                ForEach(Array(pairs.enumerated()), id: \.element.before.hash) { index, pair in
                    Button {
                        answering = pair.before.hash
                    } label: {
                        VStack(spacing: 2) {
                            EvidenceImage(hash: pair.before.hash)
                                .frame(width: 72, height: 72)
                                .clipShape(RoundedRectangle(cornerRadius: 6))
                                .overlay(selection(answering == pair.before.hash))
                                .overlay(alignment: .bottomTrailing) {
                                    if isAnswered(pair) {
                                        Image(systemName: "checkmark.circle.fill")
                                            .foregroundStyle(Color.white, Color.green)
                                            .padding(2)
                                    }
                                }
                            Text("整改前 \(index + 1)")
                                .font(.caption2)
                                .foregroundColor(.secondary)
                        }
                    }
                    .buttonStyle(.borderless)
                    .accessibilityAddTraits(answering == pair.before.hash ? .isSelected : [])
                }
                Button {
                    answering = nil
                } label: {
                    VStack(spacing: 2) {
                        RoundedRectangle(cornerRadius: 6)
                            .fill(Color(.secondarySystemBackground))
                            .frame(width: 72, height: 72)
                            .overlay(Image(systemName: "circle.slash").foregroundColor(.secondary))
                            .overlay(selection(answering == nil))
                        Text("不对应")
                            .font(.caption2)
                            .foregroundColor(.secondary)
                    }
                }
                .buttonStyle(.borderless)
                .accessibilityAddTraits(answering == nil ? .isSelected : [])
            }
            .padding(.vertical, 2)
        }
    }

    private func selection(_ selected: Bool) -> some View {
        RoundedRectangle(cornerRadius: 6)
            .stroke(selected ? Color.accentColor : Color.clear, lineWidth: 3)
    }

    /// The photos attached so far, each removable, with the "before" photo it answers.
    private var photoStrip: some View {
        ScrollView(.horizontal, showsIndicators: false) {
            HStack(alignment: .top, spacing: 8) {
                ForEach(photos, id: \.hash) { photo in
                    RemovablePhoto(hash: photo.hash, caption: answerCaption(photo.hash)) {
                        photos.removeAll { $0.hash == photo.hash }
                        answered.removeValue(forKey: photo.hash)
                    }
                }
            }
        }
    }

    /// "对应整改前 2" under a photo that answers one.
    private func answerCaption(_ hash: String) -> Text? {
        guard let before = answered[hash],
              let index = pairs.firstIndex(where: { $0.before.hash == before })
        else { return nil }
        return Text("对应整改前 \(index + 1)")
    }

    /// Whether a "before" photo has an "after" photo, sent or attached here.
    private func isAnswered(_ pair: PhotoPairRow) -> Bool {
        !pair.after.isEmpty || answered.values.contains(pair.before.hash)
    }

    /// The first "before" photo nothing answers yet.
    private func firstUnanswered() -> String? {
        pairs.first { !isAnswered($0) }?.before.hash
    }

    private var canSubmit: Bool {
        let written = sections.isEmpty
            ? filled(text)
            : sectionTexts.count == sections.count && sectionTexts.allSatisfy(filled)
        return !attaching && written
    }

    private func filled(_ text: String) -> Bool {
        !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// The text of the template's section `index`.
    private func sectionBinding(_ index: Int) -> Binding<String> {
        Binding(
            get: { index < sectionTexts.count ? sectionTexts[index] : "" },
            set: { if index < sectionTexts.count { sectionTexts[index] = $0 } }
        )
    }

    /// A work order's reply template, for a completion report (none for other items).
    private func loadSections() async {
        guard kind == .completion, sections.isEmpty else { return }
        let task = self.task
        if let read = try? await store.read({ try $0.replySections(task: task) }), !read.isEmpty {
            sections = read
            sectionTexts = Array(repeating: "", count: read.count)
        }
    }

    /// Through the core's photo pipeline; the evidence is kept on the device until sent.
    private func attach(_ shot: PickedPhoto) async {
        attaching = true
        defer { attaching = false }
        guard let jpeg = await shot.encodedJPEG() else {
            photoFailure = Failure(text: String(localized: "无法读取这张照片"))
            return
        }
        let answers = pairs.isEmpty ? nil : answering
        let capture = location.capture(for: shot, task: task, answers: answers)
        do {
            let evidence = try await store.attachPhoto(jpeg: jpeg, capture: capture)
            if !photos.contains(where: { $0.hash == evidence.hash }) {
                photos.append(evidence)
            }
            if let answers {
                answered[evidence.hash] = answers
            }
            answering = firstUnanswered()
            photoFailure = nil
        } catch {
            photoFailure = Failure(error)
        }
    }

    private func submit() async throws {
        let task = self.task
        let text = self.text
        let evidence = self.photos
        switch kind {
        case .progress:
            let percent = UInt8(min(max(self.percent.rounded(), 0), 100))
            try await store.perform {
                try $0.reportProgress(task: task, text: text, percent: percent, evidence: evidence)
            }
        case .completion:
            // A work order's reply goes in the template's form: 【section】text, in order.
            let reply = sections.isEmpty ? text : composeReply(sections: sections, texts: sectionTexts)
            try await store.perform {
                try $0.reportCompletion(task: task, text: reply, evidence: evidence)
            }
        }
    }
}
