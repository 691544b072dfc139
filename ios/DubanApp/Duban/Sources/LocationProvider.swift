// The phone's position while a report is being written, for the photos' place (the core
// puts it on the watermark and keeps it as metadata). CoreLocation gives WGS 84, which is
// what the core stores. The place's name comes from reverse geocoding when the network
// allows; without it the coordinates alone are used.

import CoreLocation
import Foundation

final class LocationProvider: NSObject, ObservableObject, CLLocationManagerDelegate {
    /// The latest fix.
    @Published private(set) var fix: CLLocation? = nil
    /// The place's name, if reverse geocoding found one.
    @Published private(set) var place: String? = nil
    /// The person refused location (or it is restricted).
    @Published private(set) var denied = false

    private let manager = CLLocationManager()
    private let geocoder = CLGeocoder()
    private var active = false

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyNearestTenMeters
    }

    /// Starts following the position (asks for permission the first time).
    func start() {
        active = true
        switch manager.authorizationStatus {
        case .notDetermined:
            manager.requestWhenInUseAuthorization()
        case .denied, .restricted:
            denied = true
        default:
            manager.startUpdatingLocation()
        }
    }

    /// Stops following it.
    func stop() {
        active = false
        manager.stopUpdatingLocation()
        geocoder.cancelGeocode()
    }

    func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        switch manager.authorizationStatus {
        case .authorizedWhenInUse, .authorizedAlways:
            denied = false
            if active { manager.startUpdatingLocation() }
        case .denied, .restricted:
            denied = true
        default:
            break
        }
    }

    func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let last = locations.last, last.horizontalAccuracy >= 0 else { return }
        fix = last
        if place == nil, !geocoder.isGeocoding {
            geocoder.reverseGeocodeLocation(last) { [weak self] placemarks, _ in
                guard let mark = placemarks?.first else { return }
                let parts = [mark.subLocality, mark.thoroughfare, mark.subThoroughfare].compactMap { $0 }
                let name = parts.isEmpty ? mark.name : parts.joined()
                DispatchQueue.main.async { self?.place = name }
            }
        }
    }

    func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        // No fix yet (indoors, airplane mode): photos go without a place, and the reviewer
        // is told so.
    }
}
