"""Type aliases of the public signatures."""

import numpy.typing as npt
import scipy.sparse as sp

# X: anything validate_data accepts (array-likes, data frames, sparse matrices)
MatrixLike = npt.ArrayLike | sp.spmatrix | sp.sparray
# y, sample weights, classes
ArrayLike = npt.ArrayLike
