# Stand-in for the sample's commandstep_train/train.py (Horovod + TensorFlow 2 training of
# MNIST, from horovod/examples/tensorflow2_keras_mnist.py), which needs TensorFlow, Horovod
# and a GPU cluster. It keeps what the pipeline sees of it: the same command-line arguments,
# one line per epoch, and a checkpoint per epoch written by rank 0 to ./outputs.
import argparse
import os

parser = argparse.ArgumentParser()
parser.add_argument("--learning-rate", "-lr", type=float, default=0.001)
parser.add_argument("--epochs", type=int, default=24)
parser.add_argument("--steps-per-epoch", type=int, default=500)
args = parser.parse_args()

rank = int(os.environ.get("OMPI_COMM_WORLD_RANK", os.environ.get("RANK", "0")))
size = int(os.environ.get("OMPI_COMM_WORLD_SIZE", os.environ.get("WORLD_SIZE", "1")))
print(f"rank {rank} of {size}: {args.epochs} epochs, lr {args.learning_rate * size}")

if rank == 0:
    output_dir = "./outputs"
    os.makedirs(output_dir, exist_ok=True)
loss = 2.3
for epoch in range(1, args.epochs + 1):
    loss *= 0.9
    print(f"Epoch {epoch}/{args.epochs} - loss: {loss:.4f}")
    if rank == 0:
        with open(os.path.join(output_dir, f"checkpoint-{epoch}.h5"), "w") as f:
            f.write(f"epoch {epoch} loss {loss:.4f}\n")
