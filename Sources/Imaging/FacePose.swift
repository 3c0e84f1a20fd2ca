// Which way a face looks, as the detector found it and as results, logs and the overlay report it.
// Here, beside Rect, because every module on the frame's path names it (the detector finds it, frames
// and sessions carry it) and Imaging is the one they all share.

/// Which way a face looks: at the camera, or in profile towards the image's left or right edge.
public enum FacePose: String, Sendable, Codable, CaseIterable {
    case frontal, left, right
}
