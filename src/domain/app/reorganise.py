"""Team reorganisation in the eenplan application: apply a file, move every affected plan once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from eenplan.domain import errors
from eenplan.domain import reorganisation as ro
from eenplan.domain.app.area import Area
from eenplan.domain.app.ports import Conflict
from eenplan.domain.context import CommandContext
from eenplan.domain.directory import RegisterTeam
from eenplan.domain.plan import HouseholdPlan

Progress = Callable[[int], None]


class Reorganisations(Area):
    """A tenant's teams merged, split and re-areaed, and the plans moved with them."""

    def reorganise(
        self,
        ctx: CommandContext,
        spec: ro.Reorganisation,
        progress: Progress | None = None,
        moved_plan: Callable[[HouseholdPlan], None] | None = None,
    ) -> dict[str, Any]:
        """Merge, split and re-area teams; move each affected plan with one recorded event.

        Safe to re-run: plans this reorganisation already moved are skipped. `moved_plan` hears
        of each plan this run moved, as saved (the processing log is written for its members).
        """
        tenant = self._reorganisation_tenant(ctx, spec)
        teams = {t.key: t for t in self.directory.list_entries("team") if t.tenant == tenant}
        ro.check(spec, set(teams))
        for professional_id in spec.regisseurs.values():
            self.directory.professional_ref(professional_id, tenant)
        after = ro.areas_after(spec, {k: t.areas for k, t in teams.items() if not t.dissolved_into})
        plans = self.scans.plans_for_reorganisation(tenant)
        moves = ro.decide(spec, plans, after)
        summary = {
            "reorganisation_id": spec.key(),
            "tenant": tenant,
            "dry_run": spec.dry_run,
            "plans_in_tenant": len(plans),
            "already_moved": sum(1 for p in plans if spec.key() in p.moved_by),
            "moves": ro.summary_of(moves),
            "areas_after": {k: v for k, v in after.items() if k not in spec.dissolved()},
            "dissolved": sorted(spec.dissolved()),
        }
        if spec.dry_run:
            return {**summary, "moved": 0, "would_move": len(moves)}
        self._apply_directory(ctx, spec, tenant, teams, after)
        moved = sum(self._move(ctx, spec.key(), move, progress, moved_plan) for move in moves)
        return {**summary, "moved": moved, "would_move": len(moves)}

    def _reorganisation_tenant(self, ctx: CommandContext, spec: ro.Reorganisation) -> str:
        if spec.tenant is None and len(ctx.actor.tenants) != 1:
            raise errors.IncompleteCommandError("name the tenant; the caller serves several")
        tenant = spec.tenant or next(iter(ctx.actor.tenants))
        if not ctx.actor.serves(tenant):
            raise errors.NotAllowedError(f"the caller does not serve tenant {tenant}")
        return tenant

    def _apply_directory(
        self,
        ctx: CommandContext,
        spec: ro.Reorganisation,
        tenant: str,
        teams: dict[str, Any],
        after: dict[str, list[str]],
    ) -> None:
        """New teams first, then areas, then dissolutions; each step only if not done yet."""
        for new in spec.teams:
            if new.id not in teams:
                self.directory.register_team(
                    ctx, RegisterTeam(id=new.id, name=new.name, tenant=tenant, areas=new.areas)
                )
        for key, areas in after.items():
            self._update_team(ctx, spec, key, areas)

    def _update_team(self, ctx: CommandContext, spec: ro.Reorganisation, key: str, areas: list[str]) -> None:
        """Dissolve the team or give it its new areas; look again when another run got there first."""
        into = spec.dissolved().get(key)

        def attempt() -> None:
            team = self.directory.team(key)
            if into is not None:
                if not team.dissolved_into:
                    team.dissolve(into=into, reorganisation_id=spec.key(), meta=ctx.meta())
            elif sorted(team.areas) != areas:
                team.reassign_areas(areas=areas, reorganisation_id=spec.key(), meta=ctx.meta())
            if not team.pending_events:
                return
            try:
                self.store.save(team)
            except IntegrityError:
                raise Conflict(f"team {key} kept changing; run the reorganisation again") from None

        self.ports.writes.run(f"team:{key}", attempt)

    def _move(
        self,
        ctx: CommandContext,
        reorganisation_id: str,
        move: ro.Move,
        progress: Progress | None,
        moved_plan: Callable[[HouseholdPlan], None] | None,
    ) -> int:
        """Move one plan; 0 when it is already where it should be (a concurrent or earlier run)."""
        new_regisseur = self.directory.professional_ref(move.regisseur_to) if move.regisseur_to else None

        def attempt() -> int:
            plan: HouseholdPlan = self.repository.get(UUID(move.plan_id))
            if plan.team_id == move.to_team_id:
                return 0
            plan.move_to_team(ctx, reorganisation_id, move.to_team_id, new_regisseur)
            try:
                self.store.save(plan)
            except IntegrityError:
                raise Conflict(f"plan {move.plan_id} kept changing; run the reorganisation again") from None
            if moved_plan is not None:
                moved_plan(plan)
            return 1

        done = self.ports.plan_writes.run(f"plan:{move.plan_id}", attempt)
        if progress is not None:
            progress(1)
        return done
