"""sknnopt: scikit-learn MLP estimators with the toolbox of training neural networks well."""

from ._mlp import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]
