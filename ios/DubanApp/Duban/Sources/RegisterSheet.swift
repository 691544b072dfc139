// Registering a problem found on site (现场发现问题登记): the category (with the attributes
// it requires), title, content, urgency, an optional deadline, public or internal, and the
// "before" photos (整改前) taken with the camera and the phone's position. The core registers
// it on the device at once (the server gives it its number when it is sent) and decides
// whether this person may; its refusal stays in the form.

import DubanCore
import SwiftUI
import UIKit

@MainActor
struct RegisterSheet: View {
    /// Called with the new item's id once the core has registered it.
    let registered: (String) -> Void
    @EnvironmentObject var store: DubanStore
    @StateObject var location = LocationProvider()
    @State var category: String? = nil
    @State var attributes: [String: String] = [:]
    @State var title = ""
    @State var content = ""
    @State var urgency = Urgency.normal
    @State var hasDeadline = false
    @State var deadline = Date().addingTimeInterval(7 * 86_400)
    @State var isPublic = false
    @State var photos: [Evidence] = []
    @State var picker: PickerSource? = nil
    @State var attaching = false
    @State var photoFailure: Failure? = nil

    var body: some View {
        ActForm("登记现场问题", canSubmit: canSubmit, submit: submit) {
            Section {
                Picker("类别", selection: $category) {
                    Text("请选择").tag(String?.none)
                    ForEach(store.categories, id: \.code) { row in
                        Text(Lang.pick(row.name, row.nameEn)).tag(String?.some(row.code))
                    }
                }
                if store.categories.isEmpty {
                    Text("尚未取得类别:请先同步。")
                        .font(.caption)
                        .foregroundColor(.secondary)
                }
                ForEach(required, id: \.self) { key in
                    TextField(key, text: attribute(key))
                }
            } header: {
                Text("类别")
            } footer: {
                if !required.isEmpty {
                    Text("该类别的必填属性")
                }
            }
            Section {
                TextField("标题", text: $title)
                TextArea(prompt: "问题描述", text: $content)
            } header: {
                Text("问题")
            }
            Section {
                Picker("紧急程度", selection: $urgency) {
                    ForEach([Urgency.normal, .urgent, .extraUrgent], id: \.self) { u in
                        Text(verbatim: u.name).tag(u)
                    }
                }
                .pickerStyle(.segmented)
                Picker("密级", selection: $isPublic) {
                    ForEach([true, false], id: \.self) { on in
                        Text(verbatim: visibilityName(isPublic: on, english: !Lang.isChinese)).tag(on)
                    }
                }
                .pickerStyle(.segmented)
                Toggle("设定期限", isOn: $hasDeadline)
                if hasDeadline {
                    DatePicker("办理期限", selection: $deadline, in: Date()..., displayedComponents: [.date, .hourAndMinute])
                }
            } footer: {
                Text("公开的事项会在督办网上公示。")
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
                Text("整改前照片")
            } footer: {
                Text("拍下问题现场;整改后的照片将与之对照。相册中的照片会标注为非现场拍摄。")
            }
        }
        .photoPicker($picker) { shot in
            Task { await attach(shot) }
        }
        .onAppear { location.start() }
        .onDisappear { location.stop() }
    }

    /// The attributes the chosen category requires.
    private var required: [String] {
        guard let category, let row = store.category(category) else { return [] }
        return row.requiredAttributes
    }

    private func attribute(_ key: String) -> Binding<String> {
        Binding(
            get: { attributes[key] ?? "" },
            set: { attributes[key] = $0 }
        )
    }

    private var photoStrip: some View {
        ScrollView(.horizontal, showsIndicators: false) {
            HStack(spacing: 8) {
                ForEach(photos, id: \.hash) { photo in
                    RemovablePhoto(hash: photo.hash) {
                        photos.removeAll { $0.hash == photo.hash }
                    }
                }
            }
        }
    }

    private var canSubmit: Bool {
        category != nil
            && !attaching
            && filled(title)
            && required.allSatisfy { filled(attributes[$0] ?? "") }
    }

    private func filled(_ text: String) -> Bool {
        !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    /// Through the core's photo pipeline (no item yet: its number is not on the watermark).
    private func attach(_ shot: PickedPhoto) async {
        attaching = true
        defer { attaching = false }
        guard let jpeg = await shot.encodedJPEG() else {
            photoFailure = Failure(text: String(localized: "无法读取这张照片"))
            return
        }
        let capture = location.capture(for: shot, task: nil, answers: nil)
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
        guard let category else { return }
        var given: [String: String] = [:]
        for key in required {
            given[key] = attributes[key] ?? ""
        }
        let item = NewItem(
            category: category,
            title: title,
            content: content,
            urgency: urgency,
            deadlineMs: hasDeadline ? Int64((deadline.timeIntervalSince1970 * 1000).rounded()) : nil,
            public: isPublic,
            attributes: given,
            attachments: photos
        )
        let id = try await store.perform { try $0.registerItem(item: item) }
        registered(id)
    }
}
