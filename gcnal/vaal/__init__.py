r"""VAAL (Sinha et al., ICCV 2019) and TA-VAAL (Kim et al., CVPR 2021): a VAE
and a discriminator trained adversarially on the pool; the items the
discriminator finds least likely to be labelled are picked.

:func:`train_vaal` trains on items of any shape: raw images with
:class:`ConvEncoder` / :class:`ConvDecoder` (the papers' setting), or
feature vectors with the default :class:`MLPEncoder` / :class:`MLPDecoder`
(gcnal's adaptation, used by ``gcnal.select(method="vaal" | "ta_vaal")``
through :func:`gcnal.selectors.vaal`).
"""
from .networks import (VAAL, ConvDecoder, ConvEncoder, Discriminator, MLPDecoder, MLPEncoder,
                       conv_sizes)
from .training import TrainedVAAL, labelled_probability, normalize_ranking, train_vaal

__all__ = [
    "VAAL",
    "ConvDecoder",
    "ConvEncoder",
    "Discriminator",
    "MLPDecoder",
    "MLPEncoder",
    "TrainedVAAL",
    "conv_sizes",
    "labelled_probability",
    "normalize_ranking",
    "train_vaal",
]
