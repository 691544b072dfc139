// The camera (or, where there is none, the photo library) through UIImagePickerController,
// and the photo as JPEG. iPhones shoot HEIC by default, which the core cannot decode, so the
// app always encodes JPEG; for a camera shot it writes the camera's own metadata with it
// (EXIF capture time, orientation), so that the core takes the capture time from the camera
// rather than from the phone's clock.

import ImageIO
import SwiftUI
import UIKit
import UniformTypeIdentifiers

/// A photo as the picker hands it over.
struct PickedPhoto {
    let image: UIImage
    /// The camera's metadata (`UIImagePickerController.InfoKey.mediaMetadata`), camera only.
    let metadata: [String: Any]?
    /// Taken with the camera now (true) or picked from the library (false).
    let fromCamera: Bool

    /// The photo as JPEG.
    func jpeg(quality: CGFloat = 0.9) -> Data? {
        if let metadata, let cgImage = image.cgImage,
           let data = Self.encode(cgImage, orientation: image.imageOrientation, metadata: metadata, quality: quality) {
            return data
        }
        return image.jpegData(compressionQuality: quality)
    }

    /// JPEG with the given metadata, the pixels as the sensor gave them and the orientation
    /// in EXIF (the core turns the image upright).
    private static func encode(
        _ image: CGImage,
        orientation: UIImage.Orientation,
        metadata: [String: Any],
        quality: CGFloat
    ) -> Data? {
        let data = NSMutableData()
        guard let destination = CGImageDestinationCreateWithData(
            data as CFMutableData, UTType.jpeg.identifier as CFString, 1, nil
        ) else { return nil }
        var properties = metadata
        properties[kCGImageDestinationLossyCompressionQuality as String] = quality
        properties[kCGImagePropertyOrientation as String] = exifOrientation(orientation)
        CGImageDestinationAddImage(destination, image, properties as CFDictionary)
        guard CGImageDestinationFinalize(destination) else { return nil }
        return data as Data
    }

    /// UIKit's orientation as the EXIF (CGImagePropertyOrientation) value.
    private static func exifOrientation(_ orientation: UIImage.Orientation) -> UInt32 {
        switch orientation {
        case .up: return 1
        case .upMirrored: return 2
        case .down: return 3
        case .downMirrored: return 4
        case .leftMirrored: return 5
        case .right: return 6
        case .rightMirrored: return 7
        case .left: return 8
        @unknown default: return 1
        }
    }
}

/// Which picker to show.
struct PickerSource: Identifiable {
    let type: UIImagePickerController.SourceType
    var id: Int { type.rawValue }

    @MainActor
    static var cameraAvailable: Bool {
        UIImagePickerController.isSourceTypeAvailable(.camera)
    }
}

/// UIImagePickerController in SwiftUI.
@MainActor
struct CameraPicker: UIViewControllerRepresentable {
    let source: UIImagePickerController.SourceType
    let onPick: (PickedPhoto) -> Void
    let onCancel: () -> Void

    func makeUIViewController(context: Context) -> UIImagePickerController {
        let picker = UIImagePickerController()
        picker.sourceType = source
        if source == .camera {
            picker.cameraCaptureMode = .photo
        }
        picker.delegate = context.coordinator
        return picker
    }

    func updateUIViewController(_ picker: UIImagePickerController, context: Context) {
        context.coordinator.parent = self
    }

    func makeCoordinator() -> Coordinator {
        Coordinator(parent: self)
    }

    final class Coordinator: NSObject, UIImagePickerControllerDelegate, UINavigationControllerDelegate {
        var parent: CameraPicker

        init(parent: CameraPicker) {
            self.parent = parent
        }

        func imagePickerController(
            _ picker: UIImagePickerController,
            didFinishPickingMediaWithInfo info: [UIImagePickerController.InfoKey: Any]
        ) {
            guard let image = info[.originalImage] as? UIImage else {
                parent.onCancel()
                return
            }
            let fromCamera = picker.sourceType == .camera
            let metadata = fromCamera ? info[.mediaMetadata] as? [String: Any] : nil
            parent.onPick(PickedPhoto(image: image, metadata: metadata, fromCamera: fromCamera))
        }

        func imagePickerControllerDidCancel(_ picker: UIImagePickerController) {
            parent.onCancel()
        }
    }
}
