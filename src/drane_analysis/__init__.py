"""drane-analysis: the usage observatory of digital education in Nouvelle-Aquitaine.

The library behind the observatory's notebooks: a referential of the region
(:mod:`~drane_analysis.referential`), the roadmap catalogue read from ``params/``
(:mod:`~drane_analysis.catalogue`), one loader per data source
(:mod:`~drane_analysis.sources`), statistics (:mod:`~drane_analysis.stats`), the
indicators of each target (:mod:`~drane_analysis.targets`, one module per target,
``t1_1_pix`` for target 1.1), report helpers (:mod:`~drane_analysis.report`) and the
build (:mod:`~drane_analysis.build`).
"""

__version__ = "0.1.0"
