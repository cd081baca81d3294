"""PyTorch side of `npm run bench:encoder`: forward throughput of the same checkpoint on the same
batch (ids from a JSON file), at each thread count asked. Prints one JSON line."""
import json
import resource
import sys
import time

import torch
from transformers import AutoModel


def main(model_dir, ids_file, threads, seconds):
    batch = torch.tensor(json.load(open(ids_file)), dtype=torch.long)
    mask = torch.ones_like(batch)
    model = AutoModel.from_pretrained(model_dir).eval()
    out = {"torch": torch.__version__, "runs": []}
    for n in threads:
        torch.set_num_threads(n)
        with torch.inference_mode():
            model(input_ids=batch, attention_mask=mask, output_hidden_states=True)  # warm-up
            done, start = 0, time.perf_counter()
            while True:
                model(input_ids=batch, attention_mask=mask, output_hidden_states=True)
                done += 1
                elapsed = time.perf_counter() - start
                if elapsed >= seconds and done >= 2:
                    break
        out["runs"].append({"threads": n, "batches": done, "seconds": elapsed, "tokens_per_s": done * batch.numel() / elapsed})
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(t) for t in sys.argv[3].split(",")], float(sys.argv[4]))
