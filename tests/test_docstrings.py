"""Docstrings: every parameter documented with its default; Examples run."""

import ast
import doctest
import inspect
import re

import pytest

import sknnopt
from sknnopt import MLPClassifier, MLPRegressor


def _section(doc, title):
    match = re.search(rf"\n    {title}\n    -+\n(.*?)(\n\n    [A-Z][A-Za-z ]+\n    -+\n|\Z)",
                      doc, re.S)
    assert match, f"no {title} section"
    return match.group(1)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_every_parameter_is_documented_with_its_default(cls):
    params = _section(cls.__doc__, "Parameters")
    entries = dict(re.findall(r"^    (\w+) : (.*)$", params, re.M))
    signature = inspect.signature(cls.__init__).parameters
    names = [name for name in signature if name != "self"]
    assert sorted(entries) == sorted(names)
    for name in names:
        # the default may be wrapped onto the next line of the entry
        block = params[params.index(f"    {name} : "):].split("\n")
        header = block[0] + (block[1] if "default=" not in block[0] else "")
        written = re.search(r"default=(.+)$", header)
        assert written, (name, header)
        assert ast.literal_eval(written.group(1).strip()) == signature[name].default, name


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_every_fitted_attribute_of_a_fit_is_documented(cls):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    model = cls(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5).fit(X, y)
    documented = set(re.findall(r"^    (\w+_) : ", _section(cls.__doc__, "Attributes"),
                                re.M))
    fitted = {k for k in vars(model) if k.endswith("_") and not k.startswith("_")}
    assert fitted <= documented, fitted - documented


def test_examples_run_as_doctests():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = [t for obj in (MLPClassifier, MLPRegressor) for t in finder.find(obj)
             if t.examples]
    assert len(tests) >= 2
    for test in tests:
        runner.run(test)
    assert runner.failures == 0
    assert runner.tries >= 5


def test_public_methods_have_numpydoc_sections():
    for cls in (MLPClassifier, MLPRegressor):
        for name in ("fit", "partial_fit", "predict", "score", "to_sklearn"):
            doc = inspect.getdoc(getattr(cls, name))
            assert doc and "Returns\n-------" in doc, (cls.__name__, name)
    assert sknnopt.__version__
