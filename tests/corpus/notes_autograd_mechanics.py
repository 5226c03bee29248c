# Source: https://github.com/pytorch/pytorch/blob/01bcc2a219f01ea508749bce7d29bd47da3ef0d0/docs/source/notes/autograd.rst
# PyTorch documentation (BSD-3-Clause), "Autograd mechanics": the requires_grad example and the
# multithreaded-training example.
# Changes: the doctest lines made a script (the shown results printed); torch.manual_seed(0) added;
# the thread example prints each thread's gradient sum at the end (it printed nothing); the
# resnet18 fine-tuning snippet left out (it downloads weights).
import threading

import torch

torch.manual_seed(0)  # added

x = torch.randn(5, 5)  # requires_grad=False by default
y = torch.randn(5, 5)  # requires_grad=False by default
z = torch.randn((5, 5), requires_grad=True)
a = x + y
print(a.requires_grad)
b = a + z
print(b.requires_grad)

results = []  # added: collects what each thread computed

# Define a train function to be used in different threads
def train_fn():
    x = torch.ones(5, 5, requires_grad=True)
    # forward
    y = (x + 3) * (x + 4) * 0.5
    # backward
    y.sum().backward()
    # potential optimizer update
    results.append(x.grad.sum().item())  # added


# User write their own threading code to drive the train_fn
threads = []
for _ in range(10):
    p = threading.Thread(target=train_fn, args=())
    p.start()
    threads.append(p)

for p in threads:
    p.join()

print(results)  # added
