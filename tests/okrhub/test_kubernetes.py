"""deploy/kubernetes/: every overlay renders, validates against the Kubernetes schemas (kubernetes-validate,
strict: unknown fields fail too) and keeps the promises of docs/operations.md.

What is validated, honestly: the rendered output of each overlay (base + its patches), and
secret.example.yaml. When ``kubectl`` or ``kustomize`` is on PATH it renders; otherwise :func:`render` does,
a small Python version of the kustomize features these files use (resources, namespace, labels, images,
strategic-merge patches, one per file, matched by kind and name, list items merged by ``name``). A feature
outside that subset makes :func:`render` fail loudly rather than render something else. The schemas check
shapes and types, not what a cluster decides at apply time (admission, quotas, whether the image exists).
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR) / "deploy" / "kubernetes"
OVERLAYS = sorted(path.name for path in (ROOT / "overlays").iterdir() if path.is_dir())
# The oldest Kubernetes still widely run, and the newest kubernetes-validate knows.
VERSIONS = ["1.30.0", kubernetes_validate.utils.latest_version()]
SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "namespace", "labels", "images", "patches"}


# --- a small kustomize --------------------------------------------------------------------------------------


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _merge(base, patch):
    """Strategic merge as kustomize does it for these files: maps merge, lists of named maps merge by name,
    other lists are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = _merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(item, dict) and "name" in item for item in base + patch)
    ):
        merged = [copy.deepcopy(item) for item in base]
        for item in patch:
            for index, existing in enumerate(merged):
                if existing["name"] == item["name"]:
                    merged[index] = _merge(existing, item)
                    break
            else:
                merged.append(copy.deepcopy(item))
        return merged
    return copy.deepcopy(patch)


def _pod_specs(resource: dict):
    spec = resource.get("spec", {})
    if resource["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
        yield spec["template"]["spec"]


def render(directory: Path) -> list[dict]:
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED_KEYS
    assert not unsupported, (
        f"{directory}: render() does not know {sorted(unsupported)}; extend it or use kubectl"
    )
    resources: list[dict] = []
    for entry in kustomization.get("resources", []):
        target = (directory / entry).resolve()
        resources.extend(render(target) if target.is_dir() else _documents(target))
    for patch_entry in kustomization.get("patches", []):
        assert set(patch_entry) == {"path"}, f"only file patches are supported: {patch_entry}"
        patches = _documents(directory / patch_entry["path"])
        assert len(patches) == 1, (
            f"{patch_entry['path']}: one patch per file, as kustomize's patches field wants"
        )
        for patch in patches:
            matches = [
                index
                for index, resource in enumerate(resources)
                if resource["kind"] == patch["kind"]
                and resource["metadata"]["name"] == patch["metadata"]["name"]
            ]
            assert len(matches) == 1, (
                f"patch {patch['kind']}/{patch['metadata']['name']} matches {len(matches)}"
            )
            resources[matches[0]] = _merge(resources[matches[0]], patch)
    for label in kustomization.get("labels", []):
        assert set(label) == {"pairs"}, f"only plain label pairs are supported: {label}"
        for resource in resources:
            resource["metadata"].setdefault("labels", {}).update(label["pairs"])
    for image in kustomization.get("images", []):
        for resource in resources:
            for pod in _pod_specs(resource):
                for container in pod.get("containers", []) + pod.get("initContainers", []):
                    name, _, tag = container["image"].partition(":")
                    if name == image["name"]:
                        container["image"] = (
                            f"{image.get('newName', name)}:{image.get('newTag', tag or 'latest')}"
                        )
    if "namespace" in kustomization:
        for resource in resources:
            resource["metadata"]["namespace"] = kustomization["namespace"]
    return resources


def rendered(overlay: str) -> list[dict]:
    directory = ROOT / "overlays" / overlay
    for command in (["kubectl", "kustomize"], ["kustomize", "build"]):
        if shutil.which(command[0]):
            output = subprocess.run([*command, str(directory)], capture_output=True, text=True, check=True)
            return [doc for doc in yaml.safe_load_all(output.stdout) if doc]
    return render(directory)


def by_kind(resources: list[dict], kind: str) -> dict[str, dict]:
    return {resource["metadata"]["name"]: resource for resource in resources if resource["kind"] == kind}


# --- the tests ----------------------------------------------------------------------------------------------


def test_there_are_overlays():
    assert {"staging", "production"} <= set(OVERLAYS)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_resource_validates_strictly(overlay, version):
    resources = rendered(overlay)
    assert len(resources) >= 10
    for resource in resources:
        kubernetes_validate.validate(resource, version, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
def test_the_secret_example_validates(version):
    for resource in _documents(ROOT / "secret.example.yaml"):
        kubernetes_validate.validate(resource, version, strict=True)


def test_a_broken_manifest_is_caught():
    # The validator is not a formality: a misspelt field or a wrong type fails.
    web = copy.deepcopy(by_kind(rendered("production"), "Deployment")["okrhub-web"])
    web["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, VERSIONS[-1], strict=True)
    web = copy.deepcopy(by_kind(rendered("production"), "Deployment")["okrhub-web"])
    web["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {
        "httpGet": {"path": "/readyz", "port": 80}
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(web, VERSIONS[-1], strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_is_probed_scaled_and_protected(overlay):
    resources = rendered(overlay)
    deployments = by_kind(resources, "Deployment")
    web = deployments["okrhub-web"]
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod_labels = web["spec"]["template"]["metadata"]["labels"]
    hpa = by_kind(resources, "HorizontalPodAutoscaler")["okrhub-web"]
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "okrhub-web",
    }
    assert hpa["spec"]["minReplicas"] <= web["spec"]["replicas"] <= hpa["spec"]["maxReplicas"]
    pdb = by_kind(resources, "PodDisruptionBudget")["okrhub-web"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]  # else a node drain waits forever
    service = by_kind(resources, "Service")["okrhub-web"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    ingress = by_kind(resources, "Ingress")["okrhub"]
    backends = [
        path["backend"]["service"]["name"]
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert backends == ["okrhub-web"]
    config = by_kind(resources, "ConfigMap")["okrhub-config"]["data"]
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == config["ALLOWED_HOSTS"].split(",")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_worker_and_beat_are_probed_and_beat_is_one(overlay):
    deployments = by_kind(rendered(overlay), "Deployment")
    worker = deployments["okrhub-worker"]["spec"]["template"]["spec"]["containers"][0]
    assert worker["livenessProbe"]["exec"]["command"] == ["python", "manage.py", "worker_alive"]
    beat = deployments["okrhub-beat"]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    command = beat["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["exec"]["command"]
    assert command == ["python", "manage.py", "worker_alive", "--role", "beat"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_migration_job_migrates_with_the_same_image_and_settings(overlay):
    resources = rendered(overlay)
    job = by_kind(resources, "Job")["okrhub-migrate"]
    migrate = job["spec"]["template"]["spec"]["containers"][0]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    web = by_kind(resources, "Deployment")["okrhub-web"]["spec"]["template"]["spec"]["containers"][0]
    assert migrate["image"] == web["image"]
    assert migrate["envFrom"] == web["envFrom"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_as_non_root_with_the_released_image(overlay):
    resources = rendered(overlay)
    namespaces = {resource["metadata"].get("namespace") for resource in resources}
    assert len(namespaces) == 1 and None not in namespaces
    for resource in resources:
        for pod in _pod_specs(resource):
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["runAsUser"] != 0
            for container in pod["containers"]:
                assert container["securityContext"]["allowPrivilegeEscalation"] is False
                assert container["image"].startswith("registry.example.org/okrhub:")
                refs = [next(iter(ref.values()))["name"] for ref in container["envFrom"]]
                assert refs == ["okrhub-config", "okrhub-secrets"]


def test_config_and_secret_use_the_names_of_env_example():
    example = (Path(settings.BASE_DIR) / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    names: set[str] = set()
    for overlay in OVERLAYS:
        resources = rendered(overlay)
        names |= set(by_kind(resources, "ConfigMap")["okrhub-config"]["data"])
        for resource in resources:
            for pod in _pod_specs(resource):
                names |= {var["name"] for container in pod["containers"] for var in container.get("env", [])}
    (secret,) = _documents(ROOT / "secret.example.yaml")
    names |= set(secret["stringData"])
    assert sorted(names - documented) == []
    assert {"SECRET_KEY", "DATABASE_URL", "METRICS_TOKEN"} <= set(secret["stringData"])


def test_the_small_renderer_merges_named_lists_and_refuses_what_it_does_not_know(tmp_path):
    base = {
        "spec": {"containers": [{"name": "a", "image": "x", "args": [1, 2]}, {"name": "b", "image": "y"}]}
    }
    patch = {"spec": {"containers": [{"name": "a", "args": [3]}, {"name": "c", "image": "z"}]}}
    assert _merge(base, patch) == {
        "spec": {
            "containers": [
                {"name": "a", "image": "x", "args": [3]},
                {"name": "b", "image": "y"},
                {"name": "c", "image": "z"},
            ]
        }
    }
    (tmp_path / "kustomization.yaml").write_text("resources: []\nconfigMapGenerator: []\n")
    with pytest.raises(AssertionError, match="configMapGenerator"):
        render(tmp_path)
