import keras
import numpy as np
import pytest

from deepclust.encoders.optimizers import FusedAdam, make_optimizer
from deepclust.seeding import seed_everything


def _fit(optimizer, steps=5):
    seed_everything(3, tensorflow=True, threads=1)
    x = np.random.default_rng(0).normal(size=(64, 20)).astype("float32")
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(20)])
    model.compile(optimizer=optimizer, loss="mse")
    model.fit(x, x, batch_size=64, epochs=steps, shuffle=False, verbose=0)
    return model


def test_fused_adam_takes_the_same_steps_as_keras_adam():
    keras_adam = _fit(keras.optimizers.Adam(learning_rate=0.01)).get_weights()
    fused = _fit(FusedAdam(learning_rate=0.01)).get_weights()
    untrained = _fit(FusedAdam(learning_rate=0.01), steps=0).get_weights()
    for a, b, start in zip(keras_adam, fused, untrained):
        assert not np.allclose(a, start)  # the steps moved the weights...
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)  # ...by Adam's rule


def test_fused_adam_is_deterministic_and_reloads(tmp_path):
    model = _fit(FusedAdam(learning_rate=0.01))
    again = _fit(FusedAdam(learning_rate=0.01))
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(reloaded.optimizer, FusedAdam)
    assert float(reloaded.optimizer.learning_rate.numpy()) == pytest.approx(0.01)


def test_make_optimizer_uses_fused_adam_and_keras_for_the_rest():
    adam = make_optimizer("adam", 0.002)
    assert isinstance(adam, FusedAdam) and float(adam.learning_rate.numpy()) == pytest.approx(0.002)
    sgd = make_optimizer("sgd", 0.1)
    assert isinstance(sgd, keras.optimizers.SGD)
    assert float(sgd.learning_rate.numpy()) == pytest.approx(0.1)


def test_cosine_decay_brings_the_learning_rate_to_zero_over_the_training_steps():
    from deepclust.encoders.optimizers import learning_rate_for

    assert learning_rate_for({"learning_rate": 0.01}, steps=100) == 0.01
    assert learning_rate_for({"learning_rate": 0.01, "learning_rate_decay": None}, 100) == 0.01
    schedule = learning_rate_for({"learning_rate": 0.01, "learning_rate_decay": "cosine"}, 100)
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(50)) == pytest.approx(0.005)
    assert float(schedule(100)) == pytest.approx(0.0, abs=1e-9)
    sgd = make_optimizer("sgd", schedule)
    assert isinstance(sgd, keras.optimizers.SGD) and sgd.learning_rate is not None
    with pytest.raises(ValueError, match="learning_rate_decay: 'step' is not a known schedule"):
        learning_rate_for({"learning_rate": 0.01, "learning_rate_decay": "step"}, 100)
