# Source: https://github.com/pytorch/tutorials/blob/12645e91811595c58a0de1308639aef9870a2be5/beginner_source/examples_nn/two_layer_net_nn.py
# PyTorch tutorials (BSD-3-Clause), "PyTorch: nn" (two-layer ReLU net).
# Changes: loop 500 -> 100 steps; torch.manual_seed(0) added (unseeded data and init); comments shortened.
import torch

torch.manual_seed(0)  # added: unseeded random data and layers

# N is batch size; D_in is input dimension;
# H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Create random Tensors to hold inputs and outputs
x = torch.randn(N, D_in)
y = torch.randn(N, D_out)

model = torch.nn.Sequential(
    torch.nn.Linear(D_in, H),
    torch.nn.ReLU(),
    torch.nn.Linear(H, D_out),
)

loss_fn = torch.nn.MSELoss(reduction='sum')

learning_rate = 1e-4
for t in range(100):
    y_pred = model(x)

    loss = loss_fn(y_pred, y)
    if t % 100 == 99:
        print(t, loss.item())

    # Zero the gradients before running the backward pass.
    model.zero_grad()

    loss.backward()

    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad
