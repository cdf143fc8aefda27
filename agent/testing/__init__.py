"""Test doubles shared by the tests, the benchmark and the injection eval (scripted chat models)."""
