"""Trainer mode: scenario files, a runner that plays them through the engine into a
separate exercise database, trainee scoring and the after-action report.  No Qt.

    sc = load_scenario("lancaster-unreported-gunfire")
    session = run_headless(sc, "/tmp/training.sqlite3")        # the scenario's scripted trainee
    result = score_session(session)
"""
from app.training.runner import Stimulus, TraineeAction, TrainingSession, run_headless
from app.training.scenario import ScenarioError, TrainingScenario, load_scenario, shipped_scenarios
from app.training.scoring import Score, score


def score_session(session: TrainingSession) -> Score:
    return score(session.scenario, session.actions, session.alert_t, type_code=session.agency.type_code,
                 priority=session.agency.priority)


__all__ = ["ScenarioError", "Score", "Stimulus", "TraineeAction", "TrainingScenario", "TrainingSession",
           "load_scenario", "run_headless", "score", "score_session", "shipped_scenarios"]
