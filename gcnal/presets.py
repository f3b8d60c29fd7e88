"""The built-in samplers, selectors and presets."""
from .registry import register_method, register_sampler, register_selector
from .samplers import GCNSampler
from .selectors import (closest_to_margin, entropy, k_center_greedy, least_confidence, margin,
                        random_sampling)

register_sampler("gcn", GCNSampler)

register_selector("random", random_sampling)
register_selector("k_center", k_center_greedy)
register_selector("closest_to_margin", closest_to_margin)
register_selector("entropy", entropy)
register_selector("margin", margin)
register_selector("least_confidence", least_confidence)

register_method("random", selector="random",
                description="uniform sampling without replacement")
register_method("coreset", selector="k_center",
                description="k-center greedy on the raw features (Sener & Savarese, ICLR 2018)")
register_method("uncertain_gcn", sampler="gcn", selector="closest_to_margin",
                description="GCN sampler scores closest to s_margin (Caramalau et al., CVPR 2021)")
register_method("core_gcn", sampler="gcn", selector="k_center",
                description="k-center greedy on the GCN's first-layer embeddings "
                            "(Caramalau et al., CVPR 2021)")
register_method("entropy", selector="entropy", needs_probs=True,
                description="highest entropy of the learner's probs")
register_method("margin", selector="margin", needs_probs=True,
                description="smallest top-1 minus top-2 gap of the learner's probs")
register_method("least_confidence", selector="least_confidence", needs_probs=True,
                description="smallest top-1 probability of the learner's probs")
