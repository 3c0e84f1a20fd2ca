// The photos and detector most detection tests start from: a ../shared photo in gray (skipped without
// ../shared) and the frontal face detector on OpenCV's default cascade (skipped without opencv-data).
import FaceDetection
import ImageIO
import Imaging
import TestSupport

/// ../shared's media/`name` in gray.
func sharedGray(_ name: String) throws -> GrayImage {
    try ImageFile.readGray(path: try TestPaths.sharedFile("media/\(name)").path)
}

/// A detector on OpenCV's haarcascade_frontalface_default.xml.
func frontalFaceDetector() throws -> FaceDetector {
    FaceDetector(cascade: try cascadeFile("haarcascade_frontalface_default.xml"))
}
