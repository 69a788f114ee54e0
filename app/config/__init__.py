"""Deployment configuration (Qt-free): the versioned ``tocsin.toml`` a real console runs on."""
from app.config.check import Finding, check_and_load_gis, check_config, has_errors
from app.config.model import (CONFIG_VERSION, ENV_CONFIG, MIGRATIONS, ConfigError, DeploymentConfig, load_config,
                              resolve_config_path)
from app.config.template import write_template

__all__ = ["CONFIG_VERSION", "ENV_CONFIG", "MIGRATIONS", "ConfigError", "DeploymentConfig", "Finding",
           "check_and_load_gis", "check_config", "has_errors", "load_config", "resolve_config_path", "write_template"]
