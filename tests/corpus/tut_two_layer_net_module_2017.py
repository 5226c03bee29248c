# Source: https://github.com/pytorch/tutorials/blob/6f53cd7c257a9ace7f6198bc3d22bdd8547414fd/beginner_source/examples_nn/two_layer_net_module.py
# PyTorch tutorials (BSD-3-Clause), "PyTorch: Custom nn Modules", the 2017 version (Variable,
# size_average, loss.data[0]). Under today's PyTorch its first print raises
# "IndexError: invalid index of a 0-dim tensor..." -- the program is kept as it was, so the
# corpus compares that exception.
# Changes: loop 500 -> 5 steps; torch.manual_seed(0) added (unseeded data and init); docstrings shortened.
import torch
from torch.autograd import Variable

torch.manual_seed(0)  # added: unseeded random data and layers


class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        super(TwoLayerNet, self).__init__()
        self.linear1 = torch.nn.Linear(D_in, H)
        self.linear2 = torch.nn.Linear(H, D_out)

    def forward(self, x):
        h_relu = self.linear1(x).clamp(min=0)
        y_pred = self.linear2(h_relu)
        return y_pred


# N is batch size; D_in is input dimension;
# H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Create random Tensors to hold inputs and outputs, and wrap them in Variables
x = Variable(torch.randn(N, D_in))
y = Variable(torch.randn(N, D_out), requires_grad=False)

# Construct our model by instantiating the class defined above
model = TwoLayerNet(D_in, H, D_out)

criterion = torch.nn.MSELoss(size_average=False)
optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
for t in range(5):
    # Forward pass: Compute predicted y by passing x to the model
    y_pred = model.forward(x)

    # Compute and print loss
    loss = criterion(y_pred, y)
    print(t, loss.data[0])

    # Zero gradients, perform a backward pass, and update the weights.
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
