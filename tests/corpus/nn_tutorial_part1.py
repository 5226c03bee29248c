# Source: https://github.com/pytorch/tutorials/blob/05e7ce2c19e72d482475d91d458db210cdacec38/beginner_source/nn_tutorial.py
# PyTorch tutorials (BSD-3-Clause), "What is torch.nn really?" by Jeremy Howard (fast.ai) -- first
# part: a logistic regression from scratch, then with torch.nn.functional and nn.Module.
# Changes: no download -- MNIST (50000 x 784 float32 images, int64 labels) replaced by NumPy random
# arrays of the same kinds (640 training, 256 validation rows, 80% of pixels 0 as in MNIST,
# seeded NumPy RandomState(0)); the
# pyplot.imshow and IPython set_trace imports removed; torch.manual_seed(0) added (unseeded randn);
# the bare notebook expressions dropped where the tutorial prints the same values next line.
import numpy as np

rng = np.random.RandomState(0)  # changed: stand-in for the pickled MNIST arrays
# MNIST-like: most pixels 0, the rest in [0, 1)
x_train, x_valid = [(rng.rand(m, 784) * (rng.rand(m, 784) < 0.2)).astype(np.float32) for m in (640, 256)]
y_train, y_valid = rng.randint(0, 10, 640).astype(np.int64), rng.randint(0, 10, 256).astype(np.int64)

print(x_train.shape)

import torch

torch.manual_seed(0)  # added

x_train, y_train, x_valid, y_valid = map(
    torch.tensor, (x_train, y_train, x_valid, y_valid)
)
n, c = x_train.shape
print(x_train, y_train)
print(x_train.shape)
print(y_train.min(), y_train.max())

import math

weights = torch.randn(784, 10) / math.sqrt(784)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)

def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)

def model(xb):
    return log_softmax(xb @ weights + bias)

bs = 64  # batch size

xb = x_train[0:bs]  # a mini-batch from x
preds = model(xb)  # predictions
print(preds[0], preds.shape)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()

loss_func = nll

yb = y_train[0:bs]
print(loss_func(preds, yb))


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()

print(accuracy(preds, yb))

lr = 0.5  # learning rate
epochs = 2  # how many epochs to train for

for epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)

        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()

print(loss_func(model(xb), yb), accuracy(model(xb), yb))

import torch.nn.functional as F

loss_func = F.cross_entropy

def model(xb):
    return xb @ weights + bias

print(loss_func(model(xb), yb), accuracy(model(xb), yb))

from torch import nn

class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias

model = Mnist_Logistic()

print(loss_func(model(xb), yb))

def fit():
    for epoch in range(epochs):
        for i in range((n - 1) // bs + 1):
            start_i = i * bs
            end_i = start_i + bs
            xb = x_train[start_i:end_i]
            yb = y_train[start_i:end_i]
            pred = model(xb)
            loss = loss_func(pred, yb)

            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= p.grad * lr
                model.zero_grad()

fit()

print(loss_func(model(xb), yb))
