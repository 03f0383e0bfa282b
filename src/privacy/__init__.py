"""Privacy (AVG): who may see a plan and what of it, field encryption, erasure, the processing log.

The public surface, for the API and for projections:

- `privacy.filter`: THE filter. `filter_plan(caller, state, policy, now)` and
  `filter_history(...)` are pure; `can_see(caller, state, now)` and
  `visible_plan_ids(caller, states, now)` give plan-level visibility for read
  models that hold no personal values (a state needs only `plan_id`, `tenant`,
  `regisseur_id`, `care_team`, `mandates`, `consents`).
- `privacy.service.Privacy`: composed once by the composition root; builds the
  `Caller` (`caller_for`), holds the policy, the keyring and the processing log.
- `privacy.reader.PlanReader`: the read path for plan views and histories.
- `privacy.processing.note_processing`: a read path notes what it processed;
  the API's `LoggedRoute` writes the processing-log lines.
- `privacy.ldv`: one processing-log line in the shape of LDV and its NEN 7513 extension (and
  lines of the earlier shape converted on read); `privacy.register`: the versioned register of
  processing activities the lines point into; `privacy.runs`: logging for work no request
  carries (CLI commands, the server's jobs).
- `privacy.rights`: export, erasure (crypto-shredding) and retention expiry.
"""
