"""Sums the time of each oneDNN primitive in an ONEDNN_VERBOSE=1 log, by kind, implementation and propagation.

Usage: python3 bench/onednn_verbose_summary.py LOG [STEPS]
prints milliseconds and calls per step (the totals divided by STEPS, default 1), largest first. Reads both the
oneDNN 3.x format (libtorch 2.7.1: "onednn_verbose,v1,primitive,exec,cpu,KIND,IMPL,PROP,...,TIME") and the 2.x one
(torch 1.13: "onednn_verbose,exec,cpu,KIND,IMPL,PROP,...,TIME"). Lines of other kinds are skipped; drop lines you do
not want counted (e.g. grep -v 2048x2048 for bench's reference matmul) before.
"""
import collections
import sys


def main():
    log = sys.argv[1]
    steps = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    milliseconds = collections.Counter()
    calls = collections.Counter()
    with open(log, errors="replace") as lines:
        for line in lines:
            fields = line.strip().split(",")
            if not fields[0] in ("onednn_verbose", "dnnl_verbose") or "exec" not in fields[:5]:
                continue
            at = fields.index("exec")
            kind, implementation, propagation = fields[at + 2], fields[at + 3].split(":")[0], fields[at + 4]
            try:
                time = float(fields[-1])
            except ValueError:
                continue
            key = (kind, implementation, propagation)
            milliseconds[key] += time
            calls[key] += 1
    for key, total in milliseconds.most_common():
        print(f"{total / steps:9.1f} ms/step {calls[key] / steps:6.0f} calls  {' '.join(key)}")
    print(f"{sum(milliseconds.values()) / steps:9.1f} ms/step in oneDNN")


if __name__ == "__main__":
    main()
