"""The settings that shape the model: its fitted window.

:class:`ModelSettings` enters the config hash of a fit
(:attr:`forecast.model.chain_model.ChainModel.config_hash`) and is saved with it; the settings of how
the posterior is sampled, which do not shape the model, are :class:`forecast.model.sampler.SamplerSettings`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecast.data import History


@dataclass(frozen=True)
class ModelSettings:
    """Settings that shape the model (they enter the config hash).

    Parameters
    ----------
    start : str
        First modelled month (``YYYY-MM``).
    end : str or None
        Last modelled month; default the month of the last observation.
    """

    start: str = "2014-01"
    end: str | None = None

    def resolve(self, history: History) -> ModelSettings:
        """Fill in ``end`` from the history.

        Parameters
        ----------
        history : History
            The data to be fitted.

        Returns
        -------
        ModelSettings
            These settings when ``end`` is set; otherwise a copy whose ``end`` is the month of the
            history's last observation (one dated on the first of a month, a stock on 1 January
            say, counts to the month before).
        """
        if self.end is not None:
            return self
        last = history.last_date
        # an observation dated on the first of a month (a stock on 1 Jan) belongs to the previous month end
        month = (last - pd.Timedelta(days=1)) if last.day == 1 else last
        return ModelSettings(self.start, f"{month:%Y-%m}")
