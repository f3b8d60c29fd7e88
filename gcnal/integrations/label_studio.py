r"""One active-learning round on a Label Studio project: read its tasks, run
:func:`gcnal.select`, and show the picks in Label Studio as the next tasks to
label (``pip install 'gcnal[labelstudio]'``, which brings ``label-studio-sdk``).

The pool is every task of the project; a task is labelled when it holds at
least one annotation that was not cancelled (a skipped task is still
unlabelled). The features are a data field of every task
(``features_field="embedding"``: ``task.data["embedding"]``, a list of
numbers), or the user's rows keyed by task id (``features`` a dict
``{task_id: row}``, or an array whose row ``i`` belongs to task ``ids[i]``).
Learner signals (``probs`` ...) are keyed the same way.

How the picks reach the annotators. For the Community Edition, Label Studio's
documentation describes an active-learning loop as: add model predictions to
the tasks, sort the Data Manager by prediction score (the lowest first; the
API reference: "Task with the lowest score will be shown first"), and label
the tasks in the order displayed. Round :math:`k` of method :math:`m` writes:

1. one prediction per pick with an empty result (it pre-labels nothing),
   ``model_version = "gcnal-round<k>-<m>"`` and ``score`` :math:`= i / b` for
   the :math:`i`-th pick of a budget :math:`b` (Label Studio takes scores in
   :math:`[0, 1]`): :math:`1/b` for the most wanted, 1.0 for the last;
2. the project's model version, set to that version when it is empty or an
   earlier gcnal round's: Label Studio's "Prediction score" column and sort
   average the predictions of the project's model version only (and show no
   score while it is empty), so this round's order is the one shown. A model
   version of the user's own (an ML backend's) is left alone, with a warning
   (the tab then holds the picks sorted by that model's scores);
3. a Data Manager tab titled :data:`TAB_TITLE`, made once and updated each
   round: the round's picks that nobody has annotated yet, sorted by that
   score, so "Label All Tasks" in the tab serves them most wanted first and a
   task leaves the tab once it is annotated.

:math:`k` is one more than the highest round whose predictions the project
holds, so running again after new annotations picks the next batch among the
tasks still unlabelled; earlier rounds' predictions stay, a record of what was
picked when (filter the Data Manager by "Prediction model versions"). The
version names the round before the method because the Data Manager filters
model versions by substring: ``gcnal-round1-`` is no part of ``gcnal-round12-``.

Annotations, drafts and task data are only ever read, never written. Every
input is checked before anything is written: a task id that the project does
not hold (a deleted task, another project's id) or a task without a row is an
:class:`~gcnal.errors.InvalidParameterError` naming the parameter.
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

import numpy as np
import torch

from ..api import DEFAULT_METHOD, select
from ..errors import InvalidParameterError, MissingDependencyError
from ..validation import check_int

logger = logging.getLogger(__name__)

#: The Data Manager tab that holds the latest round's picks.
TAB_TITLE = "gcnal: next to label"

#: The environment variable read when no token is passed (the SDK's own name).
TOKEN_ENV = "LABEL_STUDIO_API_KEY"

#: The model version of round ``k`` of a method.
MODEL_VERSION = "gcnal-round{round}-{method}"

#: A gcnal round's model version, with its round number.
_ROUND = re.compile(r"gcnal-round(\d+)-")

#: Tasks per page read from the server.
PAGE_SIZE = 500

OWNER = "label_studio.select_tasks"


@dataclass(frozen=True)
class LabelStudioRound:
    """What one round of :func:`select_tasks` wrote.

    Attributes:
        url: The Label Studio server.
        project: The project's id.
        round: The round's number, from 1.
        model_version: The version of the round's predictions,
            ``gcnal-round<k>-<method>``.
        task_ids: The picked task ids, most wanted first (the prediction of
            ``task_ids[i]`` has score ``(i + 1) / len(task_ids)``).
        view: The id of the Data Manager tab :data:`TAB_TITLE`.
        num_tasks: Tasks in the project (the pool).
        num_labelled: Of them, those with an annotation that was not cancelled.
    """

    url: str
    project: int
    round: int
    model_version: str
    task_ids: Tuple[int, ...]
    view: int
    num_tasks: int
    num_labelled: int

    @property
    def tab_url(self) -> str:
        """The address of the tab in the Data Manager."""
        return f"{self.url.rstrip('/')}/projects/{self.project}/data?tab={self.view}"


@dataclass
class _Pool:
    """The project's tasks as gcnal's pool, in ascending task id order."""

    ids: np.ndarray            # (N,) int64 task ids
    labelled: np.ndarray       # (N,) bool: an annotation that was not cancelled
    features: Optional[np.ndarray]  # (N, d) from ``features_field``, else None
    last_round: int            # the highest gcnal round among the predictions, 0 if none


def select_tasks(url: str, token: Optional[str] = None, *, project: int, budget: int,
                 method: str = DEFAULT_METHOD, features_field: Optional[str] = None,
                 features=None, ids=None, probs=None, mc_probs=None, predicted_loss=None,
                 labelled_scores=None, options: Optional[Dict[str, Any]] = None, seed=None,
                 device=None, progress: bool = False) -> LabelStudioRound:
    r"""Pick ``budget`` unlabelled tasks of a Label Studio project and show
    them to its annotators as the next tasks to label (see the module's
    docstring for what is written).

    Args:
        url (str): The Label Studio server, e.g. ``"http://localhost:8080"``.
        token (str, optional): An access token of a member of the project: a
            personal access token (Label Studio 1.23: Account & Settings >
            Personal Access Token) or a legacy token. (default: the
            environment variable ``LABEL_STUDIO_API_KEY``)
        project (int): The project's id (its address ends in ``/projects/<id>``).
        budget (int): How many tasks to pick.
        method (str): A method of :func:`gcnal.available_methods`.
            (default: :obj:`"typical_diverse"`)
        features_field (str, optional): The task data field holding each
            task's features, a list of :math:`d` numbers.
        features (dict or array, optional): Instead of ``features_field``: a
            dict ``{task_id: row}``, or an :math:`(N, d)` array with ``ids``.
        ids (sequence of int, optional): The task id of each row of the arrays
            passed (``features`` and the signals).
        probs, mc_probs, predicted_loss, labelled_scores: The learner signals
            of :func:`gcnal.select`, keyed like ``features`` (a dict by task
            id, or rows in the order of ``ids``).
        options, seed, device, progress: As for :func:`gcnal.select`.

    Returns:
        :class:`LabelStudioRound`: the round, its picks and the tab's id.

    Raises:
        InvalidParameterError: On bad input, a token the server refuses, a
            project it does not hold, an id of a task the project does not
            hold, or a task without features; nothing is written then.
        ConnectionError: The server could not be reached, or refused a request.
    """
    project = check_int(project, "project", OWNER)
    if (features_field is None) == (features is None):
        raise InvalidParameterError("features", "given, or else features_field (exactly one "
                                    "of them)", "both" if features is not None else "neither",
                                    OWNER)
    client = _client(url, _token(token))
    with _requests(url, project):
        pool = _read_pool(client, project, features_field)
    key_ids = None if ids is None else _check_ids(ids)
    x = pool.features if features is None else _rows(features, "features", pool, key_ids,
                                                      project)
    signals = {name: _rows(value, name, pool, key_ids, project)
               for name, value in (("probs", probs), ("mc_probs", mc_probs),
                                   ("predicted_loss", predicted_loss),
                                   ("labelled_scores", labelled_scores)) if value is not None}
    selection = select(x, pool.labelled, budget, method, **signals, options=options, seed=seed,
                       device=device, progress=progress, return_info=True)
    task_ids = tuple(int(i) for i in pool.ids[selection.indices])
    number = pool.last_round + 1
    version = MODEL_VERSION.format(round=number, method=selection.info["method"])
    with _requests(url, project):
        view = _publish(client, project, task_ids, version)
    logger.info("round %d: %d of %d tasks labelled; %d picked as %s, tab %d", number,
                int(pool.labelled.sum()), pool.ids.size, len(task_ids), version, view)
    return LabelStudioRound(url=url, project=project, round=number, model_version=version,
                            task_ids=task_ids, view=view, num_tasks=int(pool.ids.size),
                            num_labelled=int(pool.labelled.sum()))


def _token(token: Optional[str]) -> str:
    token = os.environ.get(TOKEN_ENV) if token is None else token
    if not isinstance(token, str) or not token.strip():
        raise InvalidParameterError("token", "a Label Studio access token (or the environment "
                                    f"variable {TOKEN_ENV})", repr(token), OWNER)
    return token.strip()


def _client(url: str, token: str):
    if not isinstance(url, str) or not re.match(r"https?://", url):
        raise InvalidParameterError("url", "the server's address, starting with http:// or "
                                    "https://", repr(url), OWNER)
    try:
        from label_studio_sdk import LabelStudio
    except ImportError as err:
        raise MissingDependencyError("label-studio-sdk", "labelstudio",
                                     "gcnal.integrations.label_studio") from err
    return LabelStudio(base_url=url.rstrip("/"), api_key=token)


@contextlib.contextmanager
def _requests(url: str, project: int) -> Iterator[None]:
    """Label Studio's refusals as gcnal's errors: a token it refuses names
    ``token``, a project it does not hold ``project``."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except ApiError as err:
        detail = err.body.get("detail", err.body) if isinstance(err.body, dict) else err.body
        if err.status_code in (401, 403):
            raise InvalidParameterError("token", f"an access token of a member of project "
                                        f"{project} on {url}",
                                        f"one it refuses (HTTP {err.status_code}: {detail})",
                                        OWNER) from err
        if err.status_code == 404:
            raise InvalidParameterError("project", f"the id of a project on {url}",
                                        f"{project}, which it does not hold (HTTP 404)",
                                        OWNER) from err
        raise ConnectionError(f"Label Studio at {url} refused a request on project {project}: "
                              f"HTTP {err.status_code}: {detail}") from err
    except httpx.HTTPError as err:
        raise ConnectionError(f"Label Studio at {url} could not be reached: {err}") from err


def _read_pool(client, project: int, features_field: Optional[str]) -> _Pool:
    """Every task of the project: ids, labelled mask, features from the data
    field, and the last gcnal round among its predictions."""
    client.projects.get(id=project)  # a refused token or a missing project fails here
    include = "id,total_annotations,predictions_model_versions"
    if features_field is not None:
        include += ",data"
    tasks = sorted(client.tasks.list(project=project, include=include, page_size=PAGE_SIZE),
                   key=lambda task: task.id)
    if not tasks:
        raise InvalidParameterError("project", "a project holding tasks", f"{project}, which "
                                    "holds none", OWNER)
    ids = np.array([task.id for task in tasks], dtype=np.int64)
    labelled = np.array([(task.total_annotations or 0) > 0 for task in tasks])
    rounds = [int(n) for task in tasks for n in _ROUND.findall(_versions(task))]
    rows = None if features_field is None else _field_rows(tasks, ids, features_field)
    return _Pool(ids=ids, labelled=labelled, features=rows, last_round=max(rounds, default=0))


def _versions(task) -> str:
    """A task's prediction model versions as text (SQLite joins them with
    commas, PostgreSQL lists them)."""
    versions = task.predictions_model_versions
    return versions if isinstance(versions, str) else " ".join(map(str, versions or ()))


def _field_rows(tasks, ids: np.ndarray, field: str) -> np.ndarray:
    values = [(task.data or {}).get(field) for task in tasks]
    missing = [int(i) for i, value in zip(ids, values) if value is None]
    if missing:
        raise InvalidParameterError("features_field", "a data field that every task holds",
                                    f"{field!r}, missing from {_count(len(missing), 'task')} "
                                    f"(ids {_head(missing)})", OWNER)
    try:
        rows = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise InvalidParameterError("features_field", "a field holding a list of numbers of "
                                    "the same length in every task",
                                    f"{field!r}, which does not ({err})", OWNER) from err
    if rows.ndim != 2:
        raise InvalidParameterError("features_field", "a field holding a list of numbers in "
                                    "every task", f"{field!r}, giving an array of shape "
                                    f"{rows.shape}", OWNER)
    return rows


def _check_ids(ids) -> np.ndarray:
    values = ids.detach().cpu().numpy() if isinstance(ids, torch.Tensor) else np.asarray(ids)
    if values.ndim != 1 or not np.issubdtype(values.dtype, np.integer):
        raise InvalidParameterError("ids", "a 1-D sequence of integer task ids",
                                    f"shape {values.shape} and dtype {values.dtype}", OWNER)
    if np.unique(values).size != values.size:
        raise InvalidParameterError("ids", "unique task ids", "duplicates", OWNER)
    return values.astype(np.int64)


def _rows(value, parameter: str, pool: _Pool, ids: Optional[np.ndarray],
          project: int) -> np.ndarray:
    r"""``value``'s rows in the pool's task order: row :math:`j` of the result
    belongs to task ``pool.ids[j]``. ``value`` is a dict ``{task_id: row}`` or
    an array whose row :math:`i` belongs to task ``ids[i]``."""
    if isinstance(value, Mapping):
        keys = _check_ids([int(key) for key in value]) if value else np.zeros(0, np.int64)
        array = _stacked([value[key] for key in value], parameter)
        where = "keys"
    else:
        if ids is None:
            raise InvalidParameterError(parameter, "a dict {task id: row}, or an array with "
                                        "ids (the task id of each row)", "an array without ids",
                                        OWNER)
        array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) \
            else np.asarray(value)
        if array.ndim == 0 or array.shape[0] != ids.size:
            raise InvalidParameterError(parameter, f"one row per id of ids ({ids.size})",
                                        f"shape {array.shape}", OWNER)
        keys, where = ids, "ids"
    known = np.isin(keys, pool.ids)
    if not known.all():
        raise InvalidParameterError("ids" if where == "ids" else parameter,
                                    f"ids of tasks of project {project}",
                                    f"{_count(int((~known).sum()), 'id')} it does not hold "
                                    f"(deleted tasks, or another project's: "
                                    f"{_head(keys[~known])})", OWNER)
    covered = np.isin(pool.ids, keys)
    if not covered.all():
        raise InvalidParameterError(parameter, f"a row for each of the project's "
                                    f"{pool.ids.size} tasks",
                                    f"no row for {int((~covered).sum())} of them (ids "
                                    f"{_head(pool.ids[~covered])}; tasks imported since the "
                                    f"rows were made?)", OWNER)
    position = {int(key): i for i, key in enumerate(keys)}
    return array[[position[int(task)] for task in pool.ids]]


def _stacked(rows: List[Any], parameter: str) -> np.ndarray:
    try:
        return np.stack([row.detach().cpu().numpy() if isinstance(row, torch.Tensor)
                         else np.asarray(row) for row in rows])
    except ValueError as err:
        raise InvalidParameterError(parameter, "rows of one shape", f"rows of several "
                                    f"shapes ({err})", OWNER) from err


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _head(values, count: int = 5) -> str:
    values = [int(v) for v in values]
    return ", ".join(map(str, values[:count])) + (", ..." if len(values) > count else "")


def _publish(client, project: int, task_ids: Tuple[int, ...], version: str) -> int:
    """Write the round: the predictions, the project's model version, the
    tab; returns the tab's id."""
    budget = len(task_ids)
    created = client.projects.import_predictions(id=project, request=[
        {"task": task, "result": [], "score": rank / budget, "model_version": version}
        for rank, task in enumerate(task_ids, start=1)]).created
    if created != budget:  # Label Studio logs and drops predictions it finds invalid
        raise ConnectionError(f"Label Studio stored {created} of the {budget} predictions of "
                              f"{version} on project {project}")
    current = client.projects.get(id=project).model_version or ""
    if not current or _ROUND.match(current):
        client.projects.update(id=project, model_version=version)
    else:
        logger.warning("project %d shows the predictions of its own model version %r: its "
                       "'Prediction score' sorts by that model's scores, not gcnal's. The tab "
                       "%r holds gcnal's picks, in that order", project, current, TAB_TITLE)
    data = {"title": TAB_TITLE,
            "filters": {"conjunction": "and", "items": [
                {"filter": "filter:tasks:predictions_model_versions", "operator": "contains",
                 "type": "List", "value": [version]},
                {"filter": "filter:tasks:total_annotations", "operator": "equal",
                 "type": "Number", "value": 0}]},
            "ordering": ["tasks:predictions_score"]}
    for view in client.views.list(project=project):
        if isinstance(view.data, dict) and view.data.get("title") == TAB_TITLE:
            client.views.update(id=str(view.id), project=project, data={**view.data, **data})
            return int(view.id)
    return int(client.views.create(project=project, data=data).id)
