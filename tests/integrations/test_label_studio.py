"""gcnal.integrations.label_studio against a real Label Studio server (see
conftest.py): the picks reach the annotators in Label Studio's own order, a
second round after new annotations picks the next batch, bad ids are refused
before anything is written, and no annotation or task data ever changes."""
from __future__ import annotations

import json
import logging

import httpx
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

import gcnal
from gcnal.cli import main
from gcnal.errors import InvalidParameterError
from gcnal.integrations.label_studio import TAB_TITLE, select_tasks

NUM_TASKS = 60
BUDGET = 8

LABEL_CONFIG = ('<View><Text name="text" value="$text"/><Choices name="digit" toName="text" '
                'choice="single">' + "".join(f'<Choice value="{d}"/>' for d in range(10))
                + "</Choices></View>")


@pytest.fixture(scope="module")
def digits():
    """The first 60 of scikit-learn's digits: features in [0, 1] and labels."""
    x, y = load_digits(return_X_y=True)
    return (x[:NUM_TASKS] / 16).astype(np.float32), y[:NUM_TASKS]


@pytest.fixture
def client(label_studio):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=label_studio.url, api_key=label_studio.token)


@pytest.fixture
def api(label_studio):
    """Raw GET on the server's REST API, as the Label Studio web page does."""
    access = httpx.post(f"{label_studio.url}/api/token/refresh/",
                        json={"refresh": label_studio.token}).json()["access"]

    def get(path, **params):
        reply = httpx.get(f"{label_studio.url}{path}", params=params, timeout=30,
                          headers={"Authorization": f"Bearer {access}"})
        reply.raise_for_status()
        return reply.json()
    return get


def new_project(client, digits, title):
    """A project of the 60 digits as tasks (text and an "embedding" field);
    returns its id and the task id of each row of ``digits``."""
    x, _ = digits
    project = client.projects.create(title=title, label_config=LABEL_CONFIG).id
    client.projects.import_tasks(id=project, request=[
        {"text": f"digit {i}", "embedding": row.tolist()} for i, row in enumerate(x)])
    row_of = {task.id: int(task.data["text"].split()[1])
              for task in client.tasks.list(project=project, include="id,data")}
    ids = np.zeros(NUM_TASKS, dtype=np.int64)
    for task, row in row_of.items():
        ids[row] = task
    return project, ids


def annotate(client, task, label):
    client.annotations.create(id=int(task), result=[
        {"from_name": "digit", "to_name": "text", "type": "choices",
         "value": {"choices": [str(label)]}}])


def snapshot(api, project):
    """Every task's data, annotations and drafts, as Label Studio exports
    them (JSON export), as bytes."""
    tasks = api(f"/api/projects/{project}/export", exportType="JSON", download_all_tasks="true")
    return json.dumps({task["id"]: [task["data"], task["annotations"], task["drafts"]]
                       for task in tasks}, sort_keys=True).encode()


def tab_order(client, project, view):
    return tuple(task.id for task in client.tasks.list(project=project, view=view, include="id"))


def next_task(api, project, view):
    """The task "Label All Tasks" in the tab opens first."""
    return api(f"/api/projects/{project}/next", view=view)["id"]


def gcnal_predictions(client, project):
    return sorted((p.model_version, p.score, p.task) for p in client.predictions.list(project=project)
                  if p.model_version.startswith("gcnal-"))


def test_the_picks_come_first_in_label_studio(label_studio, client, api, digits):
    project, ids = new_project(client, digits, "round one")
    x, y = digits
    for row in range(10):
        annotate(client, ids[row], y[row])
    client.annotations.create(id=int(ids[10]), result=[], was_cancelled=True)  # a skip
    before = snapshot(api, project)

    done = select_tasks(label_studio.url, label_studio.token, project=project, budget=BUDGET,
                        features_field="embedding", seed=0)

    labelled = np.arange(NUM_TASKS) < 10  # the skipped task is still unlabelled
    expected = tuple(int(i) for i in ids[gcnal.select(x, labelled, BUDGET, seed=0)])
    assert done.task_ids == expected
    assert (done.round, done.model_version) == (1, "gcnal-round1-typical_diverse")
    assert (done.num_tasks, done.num_labelled) == (NUM_TASKS, 10)
    assert gcnal_predictions(client, project) == sorted(
        (done.model_version, (i + 1) / BUDGET, task) for i, task in enumerate(expected))
    assert client.projects.get(id=project).model_version == done.model_version
    by_score = [task.id for task in client.tasks.list(
        project=project, include="id", query=json.dumps({"ordering": ["tasks:predictions_score"]}))]
    assert tuple(by_score[:BUDGET]) == expected
    assert client.views.get(id=str(done.view)).data["title"] == TAB_TITLE
    assert tab_order(client, project, done.view) == expected
    assert next_task(api, project, done.view) == expected[0]
    assert done.tab_url == f"{label_studio.url}/projects/{project}/data?tab={done.view}"
    assert snapshot(api, project) == before


def test_a_second_round_picks_the_next_batch(label_studio, client, api, digits):
    project, ids = new_project(client, digits, "two rounds")
    x, y = digits
    for row in range(10):
        annotate(client, ids[row], y[row])
    first = select_tasks(label_studio.url, label_studio.token, project=project, budget=BUDGET,
                         features_field="embedding", seed=0)
    row_of = {int(task): row for row, task in enumerate(ids)}
    for task in first.task_ids[:3]:  # the annotators label the first three picks
        annotate(client, task, y[row_of[task]])
    labelled = np.arange(NUM_TASKS) < 10
    labelled[[row_of[task] for task in first.task_ids[:3]]] = True
    learner = LogisticRegression(max_iter=2000).fit(x[labelled], y[labelled])
    probs = learner.predict_proba(x).astype(np.float32)
    history = gcnal_predictions(client, project)
    before = snapshot(api, project)

    second = select_tasks(label_studio.url, label_studio.token, project=project, budget=BUDGET,
                          method="margin", features=x[::-1], ids=ids[::-1],
                          probs={int(task): p for task, p in zip(ids, probs)}, seed=1)

    expected = tuple(int(i) for i in ids[gcnal.select(x, labelled, BUDGET, "margin",
                                                      probs=probs, seed=1)])
    assert second.task_ids == expected
    assert not set(expected) & {int(i) for i in ids[labelled]}
    assert (second.round, second.model_version) == (2, "gcnal-round2-margin")
    assert second.view == first.view  # the same tab, now holding round 2
    assert tab_order(client, project, second.view) == expected
    assert next_task(api, project, second.view) == expected[0]
    assert client.projects.get(id=project).model_version == second.model_version
    rounds = gcnal_predictions(client, project)
    assert [p for p in rounds if p[0] == first.model_version] == history  # round 1 kept
    assert snapshot(api, project) == before

    annotate(client, expected[0], y[row_of[expected[0]]])  # an annotated pick leaves the tab
    assert tab_order(client, project, second.view) == expected[1:]
    assert next_task(api, project, second.view) == expected[1]


def test_ids_the_project_does_not_hold_are_refused_before_writing(label_studio, client, api,
                                                                 digits):
    project, ids = new_project(client, digits, "bad ids")
    x, _ = digits
    client.tasks.delete(id=str(ids[5]))
    run = dict(url=label_studio.url, token=label_studio.token, project=project, budget=BUDGET)
    with pytest.raises(InvalidParameterError, match=rf"'ids' .*deleted tasks.*: {ids[5]}\)") \
            as err:
        select_tasks(**run, features=x, ids=ids)
    assert err.value.parameter == "ids"
    other = ids.copy()
    other[5] = ids.max() + 1000
    with pytest.raises(InvalidParameterError, match=rf"'ids' .*{ids.max() + 1000}"):
        select_tasks(**run, features=x, ids=other)
    rows = {int(task): row for task, row in zip(ids, x) if task not in (ids[5], ids[6])}
    with pytest.raises(InvalidParameterError, match=rf"'features' .*no row for 1 .*ids {ids[6]};"):
        select_tasks(**run, features=rows)
    client.projects.import_tasks(id=project, request=[{"text": "no embedding"}])
    with pytest.raises(InvalidParameterError, match="'features_field' .*missing from 1 task "):
        select_tasks(**run, features_field="embedding")
    assert gcnal_predictions(client, project) == []
    assert list(client.views.list(project=project)) == []
    assert not client.projects.get(id=project).model_version


def test_refusals_name_the_parameter(label_studio, client, digits):
    project, ids = new_project(client, digits, "refusals")
    run = dict(url=label_studio.url, budget=BUDGET, features_field="embedding")
    with pytest.raises(InvalidParameterError, match="'token' .*HTTP 401"):
        select_tasks(**run, token="not-a-token", project=project)
    with pytest.raises(InvalidParameterError, match="'project' .*HTTP 404"):
        select_tasks(**run, token=label_studio.token, project=project + 1000)
    with pytest.raises(InvalidParameterError, match="'features' .*exactly one"):
        select_tasks(**run, token=label_studio.token, project=project, features=digits[0],
                     ids=ids)
    with pytest.raises(InvalidParameterError, match="'budget'"):
        select_tasks(**{**run, "budget": NUM_TASKS + 1}, token=label_studio.token,
                     project=project)
    assert gcnal_predictions(client, project) == []


def test_a_model_version_of_the_users_own_is_left_alone(label_studio, client, digits, caplog):
    project, ids = new_project(client, digits, "own model")
    client.projects.import_predictions(id=project, request=[  # the user's model's predictions
        {"task": int(task), "result": [], "score": 0.5, "model_version": "my-model"}
        for task in ids])
    client.projects.update(id=project, model_version="my-model")
    with caplog.at_level(logging.WARNING, logger="gcnal.integrations.label_studio"):
        done = select_tasks(label_studio.url, label_studio.token, project=project,
                            budget=BUDGET, features_field="embedding", seed=0)
    assert client.projects.get(id=project).model_version == "my-model"
    assert "its own model version 'my-model'" in caplog.text
    assert set(tab_order(client, project, done.view)) == set(done.task_ids)


def test_the_command_line(label_studio, client, digits, tmp_path, monkeypatch, capsys):
    project, ids = new_project(client, digits, "command line")
    x, y = digits
    for row in range(10):
        annotate(client, ids[row], y[row])
    probs = LogisticRegression(max_iter=2000).fit(x[:10], y[:10]).predict_proba(x)
    np.save(tmp_path / "features.npy", x)
    np.save(tmp_path / "probs.npy", probs)
    (tmp_path / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.token)
    command = ["label-studio", "--url", label_studio.url, "--project", str(project),
               "--budget", "5", "--features", str(tmp_path / "features.npy"),
               "--ids", str(tmp_path / "ids.txt"), "--probs", str(tmp_path / "probs.npy"),
               "--method", "margin", "--seed", "0"]

    assert main(command) == 0
    picks = ids[gcnal.select(x, np.arange(NUM_TASKS) < 10, 5, "margin", probs=probs, seed=0)]
    out = capsys.readouterr().out
    assert f"round 1 of project {project}: 10 of 60 tasks labelled; 5 picked as " \
           "gcnal-round1-margin" in out
    assert "task ids, most wanted first: " + " ".join(map(str, picks)) in out

    client.tasks.delete(id=str(ids[20]))
    assert main(command) == 2
    assert f"'ids' parameter of label_studio.select_tasks must be ids of tasks of project " \
           f"{project}" in capsys.readouterr().err
