# A stand-in for bench/peer_simclr.py whose PyTorch runs on the reference BLAS: answers --mode matmul as the
# real peer does on Debian without libopenblas0-pthread (run as: sh reference-blas-peer.sh --mode matmul ...).
echo '{"mode": "matmul", "gflops": 1.8, "gflops_bf16": 0.9, "torch": "1.13.0a0", "torch_threads": 2, "blas": "reference", "blas_files": ["/usr/lib/x86_64-linux-gnu/blas/libblas.so.3"], "blas_info": "generic"}'
