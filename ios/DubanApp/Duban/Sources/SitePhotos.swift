// Photos taken for an act, shared by the report and the registration of a problem found on
// site: the buttons that open the camera (or the photo library), the line that tells where
// the phone is, the photos attached so far, and the capture the core's photo pipeline needs
// (`attachPhoto(jpeg:capture:)`). What a photo is worth is the core's business.

import DubanCore
import SwiftUI
import UIKit

extension PickedPhoto {
    /// The photo as JPEG, encoded off the main thread: a 12-megapixel photo takes a moment
    /// (UIImage may be read from any thread).
    func encodedJPEG() async -> Data? {
        await Task.detached(priority: .userInitiated) { self.jpeg() }.value
    }
}

extension LocationProvider {
    /// What the core's pipeline is told about a photo: the phone's time zone, and its
    /// position and place for a camera shot (a library photo was not taken here).
    func capture(for shot: PickedPhoto, task: String?, answers: String?) -> Capture {
        let fix = shot.fromCamera ? self.fix : nil
        return Capture(
            fromCamera: shot.fromCamera,
            utcOffsetMinutes: Int32(TimeZone.current.secondsFromGMT() / 60),
            latitude: fix?.coordinate.latitude,
            longitude: fix?.coordinate.longitude,
            place: shot.fromCamera ? self.place : nil,
            task: task,
            answers: answers
        )
    }
}

/// "Take photo" (where there is a camera) and "choose from library".
@MainActor
struct PhotoSourceButtons: View {
    @Binding var picker: PickerSource?
    let disabled: Bool

    var body: some View {
        if PickerSource.cameraAvailable {
            Button {
                picker = PickerSource(type: .camera)
            } label: {
                Label("拍照", systemImage: "camera")
            }
            .disabled(disabled)
        }
        Button {
            picker = PickerSource(type: .photoLibrary)
        } label: {
            Label("从相册选择", systemImage: "photo.on.rectangle")
        }
        .disabled(disabled)
    }
}

/// Where the phone is, for the photos' place.
@MainActor
struct LocationLine: View {
    @ObservedObject var location: LocationProvider

    var body: some View {
        Group {
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
        .font(.caption)
        .foregroundColor(.secondary)
    }
}

/// "Processing the photo…" while the pipeline runs.
@MainActor
struct AttachingLine: View {
    var body: some View {
        HStack {
            ProgressView()
            Text("正在处理照片…")
        }
    }
}

/// A photo attached to a form, with a button that removes it and an optional caption.
@MainActor
struct RemovablePhoto: View {
    let hash: String
    var caption: Text? = nil
    let remove: () -> Void

    var body: some View {
        VStack(spacing: 2) {
            EvidenceImage(hash: hash)
                .frame(width: 96, height: 96)
                .clipShape(RoundedRectangle(cornerRadius: 6))
                .overlay(alignment: .topTrailing) {
                    Button(action: remove) {
                        Image(systemName: "xmark.circle.fill")
                            .foregroundStyle(Color.white, Color.black.opacity(0.6))
                    }
                    .buttonStyle(.borderless)
                    .padding(2)
                    .accessibilityLabel(Text("移除照片"))
                }
            if let caption {
                caption
                    .font(.caption2)
                    .foregroundColor(.secondary)
                    .lineLimit(1)
            }
        }
        .frame(width: 96)
    }
}

extension View {
    /// The camera or the photo library, full screen, while `source` is set.
    @MainActor
    func photoPicker(_ source: Binding<PickerSource?>, onPick: @escaping (PickedPhoto) -> Void) -> some View {
        fullScreenCover(item: source) { chosen in
            CameraPicker(
                source: chosen.type,
                onPick: { shot in
                    source.wrappedValue = nil
                    onPick(shot)
                },
                onCancel: { source.wrappedValue = nil }
            )
            .ignoresSafeArea()
        }
    }
}
