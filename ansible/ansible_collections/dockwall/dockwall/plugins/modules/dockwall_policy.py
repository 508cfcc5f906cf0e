#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dockwall contributors
# Apache License 2.0 (see the repository's license)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dockwall_policy
short_description: Plan or apply a dockwall firewall policy on the managed host
version_added: "0.1.0"
description:
  - Runs C(dockwall plan) on the managed host against its live firewall and Docker. The task is
    changed when the plan is not empty (dockwall's exit code 2).
  - In check mode it stops there; with C(--diff) the plan, as C(dockwall plan) prints it, is the
    task's diff.
  - Otherwise it applies exactly the plan it made, with C(dockwall apply PLANFILE --yes). dockwall
    refuses a saved plan when the host's tables or the policy changed since it was made, so what is
    shown is what is applied.
  - Any dockwall error (a policy that does not load, an C(expect:) that fails, a locked state
    directory, an apply that would cut the SSH connection) fails the task with dockwall's message.
    Nothing is changed then.
options:
  src:
    description:
      - Path of the policy file on the managed host.
      - Exactly one of I(src) and I(content) is given.
    type: path
  content:
    description:
      - The policy itself, as YAML text, or as a mapping (written out as JSON, which is YAML).
      - It is written to a private temporary file for the run; dockwall's messages name it C(content).
    type: raw
  executable:
    description:
      - The dockwall executable on the managed host, an absolute path or a name searched on C(PATH).
    type: path
    default: dockwall
  state_dir:
    description:
      - dockwall's state directory (C(--state-dir)) for the lock, journal and snapshots of apply.
      - dockwall's default is C(/var/lib/dockwall).
    type: path
  docker_host:
    description:
      - How dockwall reaches dockerd (C(DOCKER_HOST)), e.g. C(unix:///run/docker.sock).
    type: str
  check:
    description:
      - Evaluate the policy's C(expect:) assertions before planning; false passes C(--no-check).
    type: bool
    default: true
  force:
    description:
      - Apply even when dockwall finds that the plan would cut the SSH connection the task runs over
        (C(--force)).
    type: bool
    default: false
  wait:
    description:
      - Seconds to wait for another dockwall that holds the state directory's lock (C(--wait)).
      - Without it a locked state directory fails the task at once.
    type: int
requirements:
  - dockwall (Node.js 20 or newer) on the managed host
notes:
  - Supports check mode and diff mode.
  - Applying runs C(dockwall apply), which needs root (CAP_NET_ADMIN).
author:
  - dockwall contributors
"""

EXAMPLES = r"""
- name: Apply the host's policy (plan only under --check; the plan is the diff under --diff)
  dockwall.dockwall.dockwall_policy:
    src: /etc/dockwall/policy.yaml
    state_dir: /var/lib/dockwall

- name: A policy from host_vars, run with the bundle installed by the role
  dockwall.dockwall.dockwall_policy:
    content: "{{ dockwall_policy }}"
    executable: /usr/local/bin/dockwall
"""

RETURN = r"""
plan:
  description: The plan as C(dockwall plan) prints it, including who gains and who loses access.
  returned: always
  type: str
operations:
  description: The plan's operations, as dockwall's saved plan holds them (empty when nothing changes).
  returned: always
  type: list
  elements: dict
summary:
  description: How many rules, chains and sets the plan adds, changes and removes.
  returned: always
  type: dict
applied:
  description: What C(dockwall apply) printed.
  returned: when the plan was applied
  type: str
rc:
  description: The exit code of the dockwall command that failed.
  returned: failure
  type: int
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

# dockwall's exit codes (src/cli/exit-codes.ts): plan exits 0 for no changes, 2 for changes pending.
PLAN_NO_CHANGES = 0
PLAN_CHANGES = 2


def dockwall_message(stderr, stdout, replace):
    """dockwall's own words: its diagnostics and error line (stderr), else what it printed."""
    text = (stderr or "").strip() or (stdout or "").strip() or "dockwall failed without a message"
    for old, new in replace:
        text = text.replace(old, new)
    return text


def policy_file(module):
    """The policy file to plan: src as given, or content written to a private temporary file."""
    src = module.params["src"]
    if src is not None:
        return src, []
    content = module.params["content"]
    if isinstance(content, (dict, list)):
        text = json.dumps(content, indent=2) + "\n"
    else:
        text = to_text(content)
    path = os.path.join(module.tmpdir, "policy.yaml")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path, [(path, "content")]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path"),
            content=dict(type="raw"),
            executable=dict(type="path", default="dockwall"),
            state_dir=dict(type="path"),
            docker_host=dict(type="str"),
            check=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
            wait=dict(type="int"),
        ),
        mutually_exclusive=[("src", "content")],
        required_one_of=[("src", "content")],
        supports_check_mode=True,
    )
    p = module.params
    exe = p["executable"]
    if os.path.sep not in exe:
        exe = module.get_bin_path(exe, required=True)
    elif not os.access(exe, os.X_OK):
        module.fail_json(msg="dockwall is not installed at %s (not an executable file)" % exe)

    environ = {"NO_COLOR": "1"}
    if p["docker_host"]:
        environ["DOCKER_HOST"] = p["docker_host"]
    policy, replace = policy_file(module)
    plan_file = os.path.join(module.tmpdir, "dockwall.plan.json")
    replace.append((plan_file, "the saved plan"))

    plan_cmd = [exe, "plan", "-f", policy, "-o", plan_file]
    if not p["check"]:
        plan_cmd.append("--no-check")
    rc, out, err = module.run_command(plan_cmd, environ_update=environ)
    if rc not in (PLAN_NO_CHANGES, PLAN_CHANGES):
        module.fail_json(
            msg=dockwall_message(err, out, replace), rc=rc, stdout=out, stderr=err, cmd=plan_cmd
        )
    try:
        with open(plan_file) as f:
            saved = json.load(f)
    except (OSError, ValueError) as e:
        module.fail_json(msg="cannot read the plan dockwall saved: %s" % to_text(e), rc=rc)
    planned = saved.get("plan", {})
    # What the user reads: the plan up to the note about the (temporary) saved plan file.
    shown = out.split("\nSaved the plan to ")[0].rstrip("\n") + "\n"
    for old, new in replace:
        shown = shown.replace(old, new)
    result = dict(
        changed=rc == PLAN_CHANGES,
        plan=shown,
        operations=planned.get("operations", []),
        summary=planned.get("summary", {}),
        diff=dict(prepared=shown),
    )
    if rc == PLAN_NO_CHANGES or module.check_mode:
        module.exit_json(**result)

    apply_cmd = [exe, "apply", plan_file, "--yes"]
    if p["state_dir"]:
        apply_cmd += ["--state-dir", p["state_dir"]]
    if p["force"]:
        apply_cmd.append("--force")
    if p["wait"] is not None:
        apply_cmd += ["--wait", str(p["wait"])]
    if not p["check"]:
        apply_cmd.append("--no-check")
    rc, out, err = module.run_command(apply_cmd, environ_update=environ)
    if rc != 0:
        # apply is all or nothing: a failed apply changed nothing.
        result["changed"] = False
        module.fail_json(
            msg=dockwall_message(err, out, replace), rc=rc, stdout=out, stderr=err, cmd=apply_cmd, **result
        )
    result["applied"] = out
    module.exit_json(**result)


if __name__ == "__main__":
    main()
