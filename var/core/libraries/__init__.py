"""The libraries whose methods the registry names by prefix, one module each, loaded on first use:
``captum:<Class>`` (:mod:`.captum`), ``gradcam:<CAM>`` (:mod:`.grad_cam`), ``zennit:<Composite>`` (:mod:`.zennit`)
and ``module:function`` (:mod:`.functions`). Each module's ``entry(prefix, rest)`` makes the
:class:`~var.core.registry.Entry`.
"""
