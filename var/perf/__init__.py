"""Performance: ``speed`` (the multi-class engine against Captum), ``insertion_speed`` (against PAIR's code),
``cost`` (seconds per unit and method of the reference runs).
"""
