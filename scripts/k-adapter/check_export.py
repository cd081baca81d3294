"""The official K-Adapter module on weights exported by `kadapter export --format k-adapter`.

Dev tooling, run by `npm run k-adapter:check` (scripts/k-adapter/check-export.ts), which writes the
exported adapter and an inputs file (hidden.{layer}: base hidden states; expected: kadapter's
adapterForward output). Needs torch and safetensors; the K-Adapter code is imported at run time
from the checkout given, never copied:

  python scripts/k-adapter/check_export.py --k-adapter-repo DIR --weights pytorch_model.safetensors \
      --inputs inputs.safetensors

The module is AdapterModel (with its Adapter and the bundled pytorch_transformers BertEncoder) from
examples/run_finetune_openentity_adapter.py: the one the official fine-tuning loads pre-trained
adapters into, whose output is the adapter chain's last state. Run-time shims, nothing else:
  - third-party packages that the script and pytorch_transformers import at module level but the
    adapter never uses (six, boto3, requests, tensorboardX, sklearn, …) are stubbed when absent;
  - AdapterModel.forward allocates its first state with .to('cuda'); without a GPU that call is
    sent to the CPU;
  - the AdapterConfig class hard-codes hidden_size 768, intermediate_size 3072, 12 heads and
    eps 1e-5; for an adapter of another shape, the adapters are rebuilt with the official Adapter
    class and a subclass of that config holding k_adapter_config.json's values.
Exits 1 when the weights do not load strictly or max |Δ| > 1e-5.
"""
import argparse
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import types

import torch
from safetensors.torch import load_file

TOLERANCE = 1e-5
STUBBED = ("six", "boto3", "botocore", "requests", "sacremoses", "sentencepiece", "tensorboardX", "sklearn", "scipy")
CLASS_FIELDS = ("hidden_size", "intermediate_size", "num_attention_heads", "layer_norm_eps")


class _Unused:
    """Stands for an attribute of a stubbed package; using it is an error."""

    def __init__(self, name):
        self._name = name

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{self._name} is a stub in this check")

    def __getattr__(self, attr):
        return _Unused(f"{self._name}.{attr}")


class _StubAbsent(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        top = name.split(".")[0]
        if top in STUBBED and importlib.machinery.PathFinder.find_spec(top) is None:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        # six.PY2 is read in asserts of the tokenizers: this is Python 3.
        module.__getattr__ = lambda attr, n=spec.name: False if attr == "PY2" else _Unused(f"{n}.{attr}")
        return module

    def exec_module(self, module):
        pass


def official_module(repo):
    sys.meta_path.append(_StubAbsent())
    # As when the script runs: its own folder first (examples/utils_glue.py), then the repository root.
    sys.path[:0] = [os.path.join(repo, "examples"), repo]
    path = os.path.join(repo, "examples", "run_finetune_openentity_adapter.py")
    spec = importlib.util.spec_from_file_location("k_adapter_openentity", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _CudaToCpu:
    """Sends Tensor.to('cuda') to the CPU while active, for a machine without a GPU."""

    def __enter__(self):
        self.original = torch.Tensor.to
        original = self.original

        def to(tensor, *args, **kwargs):
            args = tuple("cpu" if isinstance(a, str) and a.startswith("cuda") else a for a in args)
            return original(tensor, *args, **kwargs)

        if not torch.cuda.is_available():
            torch.Tensor.to = to
        return self

    def __exit__(self, *exc):
        torch.Tensor.to = self.original


def build(module, settings, device):
    args = argparse.Namespace(
        adapter_size=settings["adapter_size"],
        adapter_list=settings["adapter_list"],
        adapter_skip_layers=settings["adapter_skip_layers"],
        adapter_transformer_layers=settings["adapter_transformer_layers"],
        device=device,
    )
    base_config = types.SimpleNamespace(hidden_size=settings["project_hidden_size"])
    model = module.AdapterModel(args, base_config)
    changes = {k: settings[k] for k in CLASS_FIELDS if getattr(model.adapter_config, k) != settings[k]}
    if changes:
        config = type("AdapterConfig", (model.adapter_config,), changes)
        model.adapter_config = config
        model.adapter = torch.nn.ModuleList([module.Adapter(args, config) for _ in settings["adapter_list"]])
    return model, changes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k-adapter-repo", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--inputs", required=True)
    a = parser.parse_args()

    settings = json.load(open(os.path.join(os.path.dirname(a.weights), "k_adapter_config.json")))
    module = official_module(a.k_adapter_repo)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model, changes = build(module, settings, device)
    state = load_file(a.weights)
    # strict: every official parameter is in the export and nothing else is.
    model.load_state_dict(state, strict=True)
    model.to(device).eval()
    print(f"loaded {len(state)} tensors strictly into {type(model).__module__}.AdapterModel"
          f" ({'class fields changed: ' + json.dumps(changes) if changes else 'its AdapterConfig unchanged'})")

    inputs = load_file(a.inputs)
    expected = inputs["expected"]
    hidden = [None] * (max(settings["adapter_list"]) + 1)
    for layer in settings["adapter_list"]:
        hidden[layer] = inputs[f"hidden.{layer}"].to(device)
    # outputs[0] (the last layer) only sizes the chain's first state; outputs[2] are the layers.
    outputs = (hidden[settings["adapter_list"][-1]], None, tuple(hidden))
    with torch.no_grad(), _CudaToCpu():
        got = model(outputs)[0].cpu()
    delta = (got - expected).abs().max().item()
    residual = sum(inputs[f"hidden.{l}"] for l in settings["adapter_list"])
    print(f"output {tuple(got.shape)}, max |official| {got.abs().max().item():.3f}, "
          f"max |output - residual path| {(got - residual).abs().max().item():.3f}")
    print(f"max |Δ| official vs kadapter: {delta:.3e} (tolerance {TOLERANCE:g}): {'ok' if delta <= TOLERANCE else 'FAIL'}")

    # The official fine-tuning loads a pre-trained adapter from pytorch_model.bin through
    # load_pretrained_adapter; the export, saved as one, goes through it to the same output.
    bin_file = os.path.join(os.path.dirname(a.inputs), "pytorch_model.bin")
    torch.save(state, bin_file)
    fresh, _ = build(module, settings, device)
    fresh = module.load_pretrained_adapter(fresh, bin_file).to(device).eval()
    with torch.no_grad(), _CudaToCpu():
        same = torch.equal(fresh(outputs)[0].cpu(), got)
    print(f"through load_pretrained_adapter(pytorch_model.bin): {'identical' if same else 'DIFFERENT'}")
    sys.exit(0 if delta <= TOLERANCE and same else 1)


if __name__ == "__main__":
    main()
