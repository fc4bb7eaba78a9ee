"""Docstring sections shared by MLPClassifier and MLPRegressor.

Each estimator's docstring carries the marker lines ``%(shared_parameters)s``
and ``%(shared_attributes)s``; :func:`fill` replaces them, so a parameter is
described once and both estimators document every parameter.
"""

SHARED_PARAMETERS = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Units of each hidden layer; ``()`` gives a linear (regressor) or
        logistic (classifier) model trained by the same machinery.
    activation : {'identity', 'logistic', 'sigmoid', 'tanh', 'relu', \
'leaky_relu'}, default='relu'
        Hidden-layer activation. ``'sigmoid'`` is an alias of ``'logistic'``;
        ``'leaky_relu'`` has slope 0.01 for negative inputs (scikit-learn has
        no leaky relu, so ``to_sklearn`` refuses it).
    solver : {'adam', 'sgd', 'lbfgs', 'rmsprop', 'adagrad', 'adamw'}, \
default='adam'
        The optimiser. ``'sgd'`` uses ``momentum`` and ``nesterovs_momentum``
        (``momentum=0`` is plain gradient descent); ``'rmsprop'`` uses ``rho``;
        ``'adam'`` and ``'adamw'`` use ``beta_1``, ``beta_2`` and (``'adamw'``)
        ``weight_decay``; ``'lbfgs'`` is full-batch quasi-Newton (scipy) and
        uses ``max_fun``.
    alpha : float, default=1e-4
        L2 strength: the objective adds ``alpha / (2 S) * sum ||W||^2`` (S the
        total sample weight of the batch); biases are not penalised.
    batch_size : int, 'auto' or 'full', default='auto'
        ``1`` is stochastic gradient descent, an int mini-batches, ``'full'``
        batch gradient descent (one update per epoch); ``'auto'`` is
        ``min(200, n_samples)``. Not used when ``solver='lbfgs'``.
    learning_rate : {'constant', 'invscaling', 'adaptive', 'exponential', \
'step', 'cosine'}, default='constant'
        Learning-rate schedule, applied to every first-order solver (not only
        ``'sgd'``, unlike scikit-learn). ``'invscaling'``:
        ``learning_rate_init / (t + 1) ** power_t`` with t the samples seen;
        ``'adaptive'``: divided by 5 when ``n_iter_no_change`` epochs do not
        improve; ``'exponential'``, ``'step'``: see ``decay_rate``;
        ``'cosine'``: from ``learning_rate_init`` to 0 over ``max_iter``
        epochs. Not used when ``solver='lbfgs'``.
    learning_rate_init : float, default=1e-3
        Initial step size. Not used when ``solver='lbfgs'``.
    power_t : float, default=0.5
        Exponent of ``'invscaling'``. Only used when
        ``learning_rate='invscaling'``.
    max_iter : int, default=200
        Maximum number of epochs (iterations for ``'lbfgs'``).
    shuffle : bool, default=True
        Reshuffle the samples every epoch. Not used when ``solver='lbfgs'``.
    random_state : int, RandomState instance or None, default=None
        Seeds the one generator of a fit (initialisation, shuffling, dropout
        masks, validation split). An int gives identical results on the same
        machine.
    tol : float, default=1e-4
        Improvement threshold of the convergence rule (training loss) and of
        early stopping; for ``'lbfgs'``, the gradient tolerance.
    verbose : bool, default=False
        Print one line per epoch (lbfgs: per iteration): epoch, loss,
        validation loss and score when evaluated, learning rate, seconds.
    warm_start : bool, default=False
        Continue from the previous fit's weights (optimiser state and
        schedules restart, as in scikit-learn). Takes precedence over
        ``pretrained_layers``.
    momentum : float, default=0.9
        Momentum of gradient descent. Only used when ``solver='sgd'``.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum. Only used when ``solver='sgd'`` and
        ``momentum > 0``.
    early_stopping : bool, default=False
        Stop when the validation score (or loss, see
        ``early_stopping_metric``) has not improved by ``tol`` for more than
        ``n_iter_no_change`` epochs; the weights of the best evaluation are
        restored. The validation set is ``X_val`` / ``y_val`` given to ``fit``,
        or else a ``validation_fraction`` split. Not used when
        ``solver='lbfgs'``.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping. Only used
        when ``early_stopping=True`` and no ``X_val`` is given.
    beta_1 : float, default=0.9
        Decay of the first-moment estimate. Only used when ``solver`` is
        ``'adam'`` or ``'adamw'``.
    beta_2 : float, default=0.999
        Decay of the second-moment estimate. Only used when ``solver`` is
        ``'adam'`` or ``'adamw'``.
    epsilon : float, default=1e-8
        Added outside the square root of the adaptive solvers' denominator
        (``'adam'``, ``'adamw'``, ``'rmsprop'``, ``'adagrad'``).
    n_iter_no_change : int, default=10
        Epochs without improvement tolerated by the convergence rule and by
        early stopping. Not used when ``solver='lbfgs'``.
    max_fun : int, default=15000
        Maximum loss evaluations. Only used when ``solver='lbfgs'``.
    weight_init : {'auto', 'glorot_uniform', 'glorot_normal', 'he_uniform', \
'he_normal', 'lecun_normal', 'zeros'}, default='auto'
        Weight initialisation; biases start at 0. ``'auto'`` is
        scikit-learn's rule (Glorot uniform, with factor 2 instead of 6 for
        the logistic activation); ``'zeros'`` never breaks the symmetry
        between hidden units (for demonstration).
    rho : float, default=0.9
        Decay of the running mean of squared gradients. Only used when
        ``solver='rmsprop'``.
    weight_decay : float, default=0.01
        Decoupled weight decay (``W -= lr * weight_decay * W`` after each
        step, weights only). Only used when ``solver='adamw'``.
    decay_rate : float, default=0.9
        ``'exponential'``: ``lr = learning_rate_init * decay_rate **
        (epoch / decay_steps)``; ``'step'``: the exponent is floored. Only used
        when ``learning_rate`` is ``'exponential'`` or ``'step'``.
    decay_steps : int, default=10
        Epochs per decay step. Only used when ``learning_rate`` is
        ``'exponential'`` or ``'step'``.
    dropout : float or array-like of shape (n_hidden,), default=0.0
        Inverted-dropout rate, one for all hidden layers or one per hidden
        layer, each in [0, 1): kept units are scaled by 1/(1-p) during
        training; prediction is deterministic. Not allowed with
        ``solver='lbfgs'``.
    clip_value : float, (min, max) or None, default=None
        Clip every gradient component into [-c, c] or [min, max] (before
        ``clip_norm``). Not used when ``solver='lbfgs'``.
    clip_norm : float or None, default=None
        Rescale the whole gradient when its global L2 norm exceeds this. Not
        used when ``solver='lbfgs'``.
    validation_interval : int, default=1
        Evaluate on the validation set after epochs n, 2n, ...; early stopping
        decides at evaluations. Only used with a validation set.
    early_stopping_metric : {'score', 'loss'}, default='score'
        What early stopping watches: the validation score (higher is better)
        or the validation data loss (lower is better). Only used when
        ``early_stopping=True``.
    pretrained_layers : estimator, sequence of (coef, intercept) or None, \
default=None
        Initial values of the lowest layers (transfer learning): a fitted
        sknnopt or scikit-learn MLP (all its hidden layers; wrap it in
        ``sklearn.frozen.FrozenEstimator`` to keep it fitted through
        ``clone``), or ``(coef, intercept)`` pairs. Copied; only used when
        the weights are (re)initialised.
    frozen_layers : int, default=0
        Number of lowest layers whose weights and biases no solver updates
        (lbfgs included); at most the number of hidden layers.
"""

SEMI_SUPERVISED_REGRESSOR = """\
    semi_supervised : {'autoencoder'} or None, default=None
        With ``'autoencoder'``, samples whose target is NaN are unlabeled: the
        hidden layers are first trained to reconstruct all of X for
        ``pretrain_max_iter`` epochs, then the network on the labeled rows.
        With None, NaN targets are rejected.
    pretrain_max_iter : int, default=50
        Epochs of autoencoder pretraining. Only used when
        ``semi_supervised='autoencoder'``.
"""

SHARED_ATTRIBUTES = """\
    coefs_ : list of ndarray
        ``coefs_[i]`` has shape (fan_in, fan_out); views of the flat
        parameter vector (assignable, as in scikit-learn: warm start and
        ``partial_fit`` continue from edited values).
    intercepts_ : list of ndarray
        Biases of each layer.
    loss_ : float
        Training loss of the last epoch.
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    loss_curve_ : list of float
        Training loss per epoch (per iteration for lbfgs).
    validation_scores_ : list of float or None
        Score at each validation evaluation.
    best_validation_score_ : float or None
        Best validation score (with ``early_stopping_metric='loss'``: the
        score of the epoch with the best validation loss).
    history_ : dict of list
        Per-epoch ``loss``, ``val_loss``, ``val_score``, ``learning_rate``,
        ``grad_norm`` (per layer, before clipping) and ``time``; accumulates
        over warm starts and ``partial_fit``.
    stop_reason_ : str
        ``'max_iter'``, ``'tol'``, ``'early_stopping'``, ``'diverged'``,
        ``'interrupted'`` (KeyboardInterrupt: the last completed epoch's
        weights are kept) or ``'callback'`` (a scikit-learn callback's
        ``on_fit_task_end`` returned True; with early stopping the best
        weights are restored, as at ``max_iter``).
    autoencoder_loss_curve_ : list of float
        ``semi_supervised='autoencoder'`` only: reconstruction loss per
        pretraining epoch.
    t_ : int
        Number of training samples seen.
    n_iter_ : int
        Epochs (lbfgs: iterations) run by the last call.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    n_features_in_ : int
        Number of features seen in fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when X had string column names.
"""

CALLBACK_NOTES = """\
    With scikit-learn >= 1.9, ``set_callbacks`` accepts the callbacks of
    :mod:`sklearn.callback`: a fit is a task whose subtasks are the epochs
    (lbfgs: its iterations), so ``ProgressBar`` advances once per epoch (set on
    a ``GridSearchCV``, the bars of its fits nest under the search's) and
    ``ScoringMonitor`` scores the network of every epoch on the training data.
"""


def fill(cls):
    """Replace the docstring markers of ``cls`` with the shared sections."""
    cls.__doc__ = cls.__doc__ % {
        "shared_parameters": SHARED_PARAMETERS.rstrip("\n"),
        "semi_supervised_regressor": SEMI_SUPERVISED_REGRESSOR.rstrip("\n"),
        "shared_attributes": SHARED_ATTRIBUTES.rstrip("\n"),
        "callback_notes": CALLBACK_NOTES.rstrip("\n"),
    }
    return cls
