"""A sampler whose training diverges stops with an error naming the option at fault."""
import pytest
import torch

import gcnal
from gcnal.errors import InvalidParameterError
from gcnal.samplers.training import check_trained_output


@pytest.mark.parametrize("option", ["lr", "weight_decay", "lambda_unlabelled"])
@pytest.mark.parametrize("value", [float("inf"), float("nan"), -float("inf")])
def test_non_finite_training_options_are_refused_up_front(signed_pool, option, value):
    x, mask = signed_pool
    with pytest.raises(InvalidParameterError, match=f"'{option}'") as err:
        gcnal.select(x, mask, 10, method="core_gcn", seed=0, options={option: value})
    assert err.value.parameter == option


@pytest.mark.parametrize("method", ["core_transformer", "uncertain_transformer"])
def test_a_finite_learning_rate_that_diverges_is_an_error_not_a_selection(signed_pool, method):
    # the case: lr=1e6 returned [5, 6, 7, ...] picked on NaN scores
    x, mask = signed_pool
    with pytest.raises(InvalidParameterError, match="became NaN or inf") as err:
        gcnal.select(x, mask, 10, method=method, seed=0, options={"lr": 1e6, "epochs": 10})
    assert err.value.parameter == "lr"


@pytest.mark.parametrize("what,nan_in", [("scores", 0), ("embeddings", 1)])
@pytest.mark.parametrize("settings,blamed", [
    ({"lr": 1e-3, "weight_decay": 5e-4, "lambda_unlabelled": 1.2}, "lr"),
    ({"lr": 1e-3, "weight_decay": 50.0, "lambda_unlabelled": 1.2}, "weight_decay"),
    ({"lr": 1e-3, "weight_decay": 50.0, "lambda_unlabelled": 1e9}, "lambda_unlabelled"),
])
def test_non_finite_scores_or_embeddings_name_the_likely_option(what, nan_in, settings, blamed):
    outputs = [torch.rand(10), torch.rand(10, 4)]
    outputs[nan_in][3] = float("nan")
    with pytest.raises(InvalidParameterError, match=f"the {what} became NaN") as err:
        check_trained_output(*outputs, **settings)
    assert err.value.parameter == blamed


def test_finite_scores_and_embeddings_pass():
    check_trained_output(torch.rand(10), torch.rand(10, 4), lr=1e-3, weight_decay=5e-4,
                         lambda_unlabelled=1.2)
