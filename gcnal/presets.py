"""The built-in samplers, selectors and presets."""
from .registry import register_method, register_sampler, register_selector
from .samplers import BatchTransformerSampler, GATSampler, GCNSampler
from .selectors import (closest_to_margin, entropy, featprop, k_center_greedy, least_confidence,
                        margin, probcover, random_sampling, typiclust, vaal)

register_sampler("gcn", GCNSampler)
register_sampler("gat", GATSampler)
register_sampler("batch_transformer", BatchTransformerSampler)

register_selector("random", random_sampling)
register_selector("k_center", k_center_greedy)
register_selector("closest_to_margin", closest_to_margin)
register_selector("entropy", entropy)
register_selector("margin", margin)
register_selector("least_confidence", least_confidence)
register_selector("featprop", featprop)
register_selector("probcover", probcover)
register_selector("typiclust", typiclust)
register_selector("vaal", vaal)

register_method("random", selector="random",
                description="uniform sampling without replacement")
register_method("coreset", selector="k_center",
                description="k-center greedy on the raw features (Sener & Savarese, ICLR 2018)")
register_method("uncertain_gcn", sampler="gcn", selector="closest_to_margin",
                description="GCN sampler scores closest to s_margin (Caramalau et al., CVPR 2021)")
register_method("core_gcn", sampler="gcn", selector="k_center",
                description="k-center greedy on the GCN's first-layer embeddings "
                            "(Caramalau et al., CVPR 2021)")
register_method("entropy", selector="entropy", signal="probs",
                description="highest entropy of the learner's probs")
register_method("margin", selector="margin", signal="probs",
                description="smallest top-1 minus top-2 gap of the learner's probs")
register_method("least_confidence", selector="least_confidence", signal="probs",
                description="smallest top-1 probability of the learner's probs")
register_method("uncertain_gat", sampler="gat", selector="closest_to_margin",
                description="GAT sampler (attention over the pool graph's edges) scores "
                            "closest to s_margin")
register_method("core_gat", sampler="gat", selector="k_center",
                description="k-center greedy on the GAT sampler's first-layer embeddings")
register_method("uncertain_transformer", sampler="batch_transformer",
                selector="closest_to_margin",
                description="batch-transformer sampler (TJLS, Caramalau et al., 2021) scores "
                            "closest to s_margin")
register_method("core_transformer", sampler="batch_transformer", selector="k_center",
                description="k-center greedy on the batch-transformer sampler's tokens")
register_method("featprop", selector="featprop",
                description="k-means medoids of kNN-graph-propagated features "
                            "(Wu et al., 2019)")
register_method("probcover", selector="probcover",
                description="greedy max coverage of delta-balls on the kNN graph "
                            "(Yehuda et al., NeurIPS 2022)")
register_method("typiclust", selector="typiclust",
                description="most typical item of the largest uncovered k-means clusters "
                            "(Hacohen et al., ICML 2022)")
register_method("vaal", selector="vaal",
                description="least P(labelled) of a discriminator trained against an MLP VAE "
                            "on the features (Sinha et al., ICCV 2019; feature-vector "
                            "adaptation)")
register_method("ta_vaal", selector="vaal", signal="predicted_loss",
                description="VAAL conditioned on the learner's normalised predicted loss "
                            "(Kim et al., CVPR 2021; feature-vector adaptation)")
