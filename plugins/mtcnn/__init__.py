"""The real-photo face aligner: MTCNN's three ONNX networks run by ONNX Runtime."""
