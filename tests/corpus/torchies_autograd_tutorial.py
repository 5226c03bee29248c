# Source: https://github.com/pytorch/tutorials/blob/6d0edbbe17900c8ead4969ecb8c0c0918202a11c/beginner_source/former_torchies/autograd_tutorial.py
# PyTorch tutorials (BSD-3-Clause), "PyTorch for former Torch users: Autograd".
# Changes: torch.manual_seed(0) added (unseeded randn); prose shortened.
import torch

torch.manual_seed(0)  # added: unseeded randn

x = torch.ones(2, 2, requires_grad=True)
print(x)

print(x.data)

print(x.grad)

print(x.grad_fn)  # we've created x ourselves

# Do an operation of x:
y = x + 2
print(y)

# y was created as a result of an operation,
# so it has a grad_fn
print(y.grad_fn)

# More operations on y:
z = y * y * 3
out = z.mean()

print(z, out)

# ``.to(requires_grad= ... )`` method also lets you change this flag
a = torch.randn(2, 2)
a = ((a * 3) / (a - 1))
print(a.requires_grad)
a = a.to(requires_grad=True)
print(a.requires_grad)
b = (a * a).sum()
print(b.grad_fn)

# let's backprop now and print gradients d(out)/dx
out.backward()
print(x.grad)

x = torch.ones(2, 2, requires_grad=True)
y = x + 2
y.backward(torch.ones(2, 2), retain_graph=True)
# the retain_variables flag will prevent the internal buffers from being freed
print(x.grad)

z = y * y
print(z)

# just backprop random gradients
gradient = torch.randn(2, 2)

# this would fail if we didn't specify
# that we want to retain variables
y.backward(gradient)

print(x.grad)

print(x.requires_grad)
print((x ** 2).requires_grad)

with torch.no_grad():
	print((x ** 2).requires_grad)
