"""A user's own method as a module function, for ``--methods tests.method_example:saliency``."""


def saliency(model, x, target):
    """The absolute gradient of the class logit."""
    x = x.clone().requires_grad_()
    model.module(x)[0, target].backward()
    return x.grad.abs()[0]
