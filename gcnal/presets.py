"""The built-in samplers, selectors and presets."""
from .options import real
from .registry import register_method, register_sampler, register_selector
from .samplers import BatchTransformerSampler, GATSampler, GCNSampler
from .selectors import (badge, bald, closest_to_margin, cluster_margin, entropy, featprop,
                        gcn_typical_margin, k_center_greedy, learning_loss, least_confidence,
                        margin, mc_entropy, probcover, random_sampling, typical_diverse,
                        typical_margin, typiclust, vaal)
from .selectors.typical_diverse import typical_diverse_notes

register_sampler("gcn", GCNSampler)
register_sampler("gat", GATSampler)
register_sampler("batch_transformer", BatchTransformerSampler)

register_selector("random", random_sampling)
register_selector("k_center", k_center_greedy)
register_selector("closest_to_margin", closest_to_margin, checks={"s_margin": real(0.0, 1.0)})
register_selector("entropy", entropy)
register_selector("margin", margin)
register_selector("least_confidence", least_confidence)
register_selector("featprop", featprop)
register_selector("probcover", probcover)
register_selector("typiclust", typiclust)
register_selector("learning_loss", learning_loss)
register_selector("bald", bald)
register_selector("mc_entropy", mc_entropy)
register_selector("vaal", vaal)
register_selector("typical_diverse", typical_diverse, notes=typical_diverse_notes)
register_selector("typical_margin", typical_margin)
register_selector("gcn_typical_margin", gcn_typical_margin)
register_selector("badge", badge)
register_selector("cluster_margin", cluster_margin)

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
register_method("learning_loss", selector="learning_loss", signal="predicted_loss",
                description="highest predicted loss of the learner's loss prediction module "
                            "(Yoo & Kweon, CVPR 2019)")
register_method("bald", selector="bald", signal="mc_probs",
                description="highest mutual information between label and weights over "
                            "MC-dropout samples (Houlsby et al., 2011; Gal et al., ICML 2017)")
register_method("mc_entropy", selector="mc_entropy", signal="mc_probs",
                description="highest entropy of the mean MC-dropout prediction "
                            "(Gal et al., ICML 2017)")
register_method("jls", selector="closest_to_margin", signal="labelled_scores",
                description="joint learner + discriminator head without a bottleneck; its "
                            "P(labelled) closest to s_margin (JLS, Caramalau et al., 2021); "
                            "selects like tjls")
register_method("tjls", selector="closest_to_margin", signal="labelled_scores",
                description="joint head with a batch-transformer bottleneck; its P(labelled) "
                            "closest to s_margin (TJLS, Caramalau et al., 2021); selects like "
                            "jls, the two differ in the learner's head")
register_method("vaal", selector="vaal",
                description="least P(labelled) of a discriminator trained against an MLP VAE "
                            "on the features (Sinha et al., ICCV 2019; feature-vector "
                            "adaptation)")
register_method("ta_vaal", selector="vaal", signal="predicted_loss",
                description="VAAL conditioned on the learner's normalised predicted loss "
                            "(Kim et al., CVPR 2021; feature-vector adaptation)")
register_method("typical_diverse", selector="typical_diverse", signal="probs",
                signal_required=False,
                description="gcnal's recommended default: the most typical and uncertain items "
                            "(the margin from probs, weighed by the labelled set's coverage of "
                            "the pool), kept a pool-adapted radius apart; TypiClust's picks "
                            "while the budget is at least the labelled set, and without probs")
register_method("typical_margin", selector="typical_margin", signal="probs",
                signal_required=False,
                description="typical items while the labelled set is thin, diverse low-margin "
                            "items once it predicts itself; the split measured each round")
register_method("gcn_typical_margin", selector="gcn_typical_margin", signal="probs",
                signal_required=False,
                description="typical_margin exploring where UncertainGCN's sampler finds the "
                            "graph unlike the labelled set")
register_method("badge", selector="badge", signal="probs",
                description="k-means++ seeding on last-layer gradient embeddings of the "
                            "learner's probs and features (Ash et al., ICLR 2020)")
register_method("cluster_margin", selector="cluster_margin", signal="probs",
                description="lowest-margin candidates, round robin over average-linkage HAC "
                            "clusters (Citovsky et al., NeurIPS 2021)")
