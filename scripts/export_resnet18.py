"""Exports ResNet-18 (torchvision's architecture) to ONNX with seeded weights.

Pretrained weights cannot be downloaded here, so the weights are torchvision's default
initialisation under a fixed seed: same architecture and cost as the published benchmark's model,
reproducible bytes. Writes <out>/resnet18.onnx (batch dimension dynamic) and <out>/resnet18.pt
(the state dict, which the tests load as the PyTorch reference).
"""
import os
import sys

import torch
import torchvision

out = sys.argv[1] if len(sys.argv) > 1 else "models"
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None).eval()
torch.save(model.state_dict(), os.path.join(out, "resnet18.pt"))
example = torch.zeros(1, 3, 224, 224)
torch.onnx.export(
    model, example, os.path.join(out, "resnet18.onnx"),
    input_names=["input"], output_names=["logits"],
    dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
    opset_version=13, do_constant_folding=True)
print(f"export_resnet18: wrote {out}/resnet18.onnx and {out}/resnet18.pt")
