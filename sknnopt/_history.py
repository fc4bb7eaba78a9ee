"""Per-epoch training records; ``loss_curve_``, ``validation_scores_`` and
``history_`` are all derived from one ``History``."""

HISTORY_KEYS = ("loss", "val_loss", "val_score", "learning_rate", "grad_norm", "time")


class History:
    """Lists of per-epoch values, all of the same length."""

    def __init__(self):
        self.records = {key: [] for key in HISTORY_KEYS}

    def __len__(self):
        return len(self.records["loss"])

    def append(self, record):
        """Add one epoch; keys missing from ``record`` are stored as None."""
        for key in HISTORY_KEYS:
            self.records[key].append(record.get(key))

    def truncate(self, n_epochs):
        """Forget the epochs after the first ``n_epochs`` (a failed fit's)."""
        for values in self.records.values():
            del values[n_epochs:]

    def last(self, key):
        values = self.records[key]
        return values[-1] if values else None

    def as_dict(self):
        """Return a copy of the records (dict of lists)."""
        return {key: list(values) for key, values in self.records.items()}

    @property
    def loss_curve(self):
        return list(self.records["loss"])

    @property
    def validation_scores(self):
        """Scores of the evaluations, or None if there was none."""
        scores = [s for s in self.records["val_score"] if s is not None]
        return scores or None
