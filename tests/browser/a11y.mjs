// axe-core (through @axe-core/playwright) on the page as it is now: WCAG 2.0–2.2 A and AA rules.
// Returns the serious and critical violations, each as "rule (nodes): first target".
import { AxeBuilder } from "@axe-core/playwright";

export async function audit(page) {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ rule: v.id, nodes: v.nodes.length, first: v.nodes[0]?.target?.join(" ") ?? "" }));
}
