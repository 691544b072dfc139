// A progress or completion report (进展汇报 / 完成汇报) with photos taken on site: the camera
// gives a JPEG, the phone's position goes with it, the core's photo pipeline turns it into
// evidence (upright, resized, watermarked with time, place, item number and person; kept on
// the device until sent), and the report cites it. Works offline.

import DubanCore
import SwiftUI
import UIKit

/// Which report.
enum ReportKind: Hashable {
    case progress, completion
}

@MainActor
struct ReportSheet: View {
    let task: String
    let kind: ReportKind
    @EnvironmentObject var store: DubanStore
    @StateObject var location = LocationProvider()
    @State var text = ""
    @State var percent: Double
    @State var photos: [Evidence] = []
    @State var picker: PickerSource? = nil
    @State var attaching = false
    @State var photoFailure: Failure? = nil

    init(task: String, kind: ReportKind, progress: UInt8) {
        self.task = task
        self.kind = kind
        _percent = State(initialValue: Double(progress))
    }

    var body: some View {
        ActForm(kind == .progress ? "进展汇报" : "完成汇报", canSubmit: canSubmit, submit: submit) {
            Section {
                TextArea(prompt: kind == .progress ? "本阶段进展情况" : "完成情况", text: $text)
            } header: {
                Text("汇报内容")
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
            Section {
                if !photos.isEmpty {
                    photoStrip
                }
                if attaching {
                    HStack {
                        ProgressView()
                        Text("正在处理照片…")
                    }
                }
                if let photoFailure {
                    FailureText(failure: photoFailure)
                }
                if PickerSource.cameraAvailable {
                    Button {
                        picker = PickerSource(type: .camera)
                    } label: {
                        Label("拍照", systemImage: "camera")
                    }
                    .disabled(attaching)
                }
                Button {
                    picker = PickerSource(type: .photoLibrary)
                } label: {
                    Label("从相册选择", systemImage: "photo.on.rectangle")
                }
                .disabled(attaching)
                locationLine
                    .font(.caption)
                    .foregroundColor(.secondary)
            } header: {
                Text("现场照片")
            } footer: {
                Text("相册中的照片会标注为非现场拍摄,请尽量现场拍照。")
            }
        }
        .fullScreenCover(item: $picker) { source in
            CameraPicker(
                source: source.type,
                onPick: { shot in
                    picker = nil
                    Task { await attach(shot) }
                },
                onCancel: { picker = nil }
            )
            .ignoresSafeArea()
        }
        .onAppear { location.start() }
        .onDisappear { location.stop() }
    }

    /// The photos attached so far, each removable.
    private var photoStrip: some View {
        ScrollView(.horizontal, showsIndicators: false) {
            HStack(spacing: 8) {
                ForEach(photos, id: \.hash) { photo in
                    EvidenceImage(hash: photo.hash)
                        .frame(width: 96, height: 96)
                        .clipShape(RoundedRectangle(cornerRadius: 6))
                        .overlay(alignment: .topTrailing) {
                            Button {
                                photos.removeAll { $0.hash == photo.hash }
                            } label: {
                                Image(systemName: "xmark.circle.fill")
                                    .foregroundStyle(Color.white, Color.black.opacity(0.6))
                            }
                            .buttonStyle(.borderless)
                            .padding(2)
                            .accessibilityLabel(Text("移除照片"))
                        }
                }
            }
        }
    }

    @ViewBuilder
    private var locationLine: some View {
        if location.denied {
            Label("未获得定位权限:照片将不带位置", systemImage: "location.slash")
        } else if let fix = location.fix {
            let meters = Int(fix.horizontalAccuracy.rounded())
            let place = location.place ?? ""
            Label("已定位(±\(meters) 米)\(place)", systemImage: "location.fill")
        } else {
            Label("正在定位…", systemImage: "location")
        }
    }

    private var canSubmit: Bool {
        !attaching && !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// Through the core's photo pipeline; the evidence is kept on the device until sent.
    private func attach(_ shot: PickedPhoto) async {
        attaching = true
        defer { attaching = false }
        // Encoding a 12-megapixel photo takes a moment: off the main thread (UIImage may be
        // read from any thread).
        let encoded = await Task.detached(priority: .userInitiated) { shot.jpeg() }.value
        guard let jpeg = encoded else {
            photoFailure = Failure(text: String(localized: "无法读取这张照片"))
            return
        }
        // A library photo was not taken here: do not give it the phone's position.
        let fix = shot.fromCamera ? location.fix : nil
        let capture = Capture(
            fromCamera: shot.fromCamera,
            utcOffsetMinutes: Int32(TimeZone.current.secondsFromGMT() / 60),
            latitude: fix?.coordinate.latitude,
            longitude: fix?.coordinate.longitude,
            place: shot.fromCamera ? location.place : nil,
            task: task,
            answers: nil
        )
        do {
            let evidence = try await store.attachPhoto(jpeg: jpeg, capture: capture)
            if !photos.contains(where: { $0.hash == evidence.hash }) {
                photos.append(evidence)
            }
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
            try await store.perform {
                try $0.reportCompletion(task: task, text: text, evidence: evidence)
            }
        }
    }
}
