"""ONNX object detection: model loading, letterbox, output decoding and the shared detector."""
