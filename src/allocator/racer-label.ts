/**
 * `a6000:1x4:2h59m`, or a part's job in a race of shapes: `a6000:1x1:2h59m part 2 of 4`. Imports nothing: the
 * web page shows it too.
 */
export function racerLabel(racer: { strategyId: string; parts?: number; part?: number }): string {
  return racer.parts && racer.parts > 1
    ? `${racer.strategyId} part ${racer.part ?? 0} of ${racer.parts}`
    : racer.strategyId;
}
