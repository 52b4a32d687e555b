import Plasticity
