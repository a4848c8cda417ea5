"""A module that exists only for tests: mounted as `portal.tinymod` by test_modules.py to show
that a module plugs in through its declaration alone."""

from portal.core.modules import Module, Periodic

MODULE = Module(
    name="tinymod",
    order=60,
    imports=("portal.tinymod.views",),
    blueprints=("portal.tinymod.views:bp",),
    demo="portal.tinymod.demo:seed_tiny",
    periodic=(Periodic("portal.tinymod.jobs.sweep", 30, "default"),),
    message_types={"tiny_hello": "Tiny hello"},
)
