// Apache ECharts, tree-shaken to the charts and components the pages use.
// Every chart a page creates is registered by name in
// window.__mcutuneCharts (the browser tests read the options and convert
// data points to pixels through it) and disposed when the page goes away.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import {
  DataZoomComponent, GridComponent, LegendComponent, MarkLineComponent,
  MarkPointComponent, TitleComponent, TooltipComponent, VisualMapComponent,
} from 'echarts/components';
import { AxisBreak } from 'echarts/features';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  BarChart, LineChart, ScatterChart, DataZoomComponent, GridComponent,
  LegendComponent, MarkLineComponent, MarkPointComponent, TitleComponent,
  TooltipComponent, VisualMapComponent, CanvasRenderer, AxisBreak,
]);

export type Chart = echarts.ECharts;
export type Option = echarts.EChartsCoreOption;

declare global {
  interface Window { __mcutuneCharts?: Record<string, Chart> }
}

const registry: Record<string, Chart> = {};
window.__mcutuneCharts = registry;

const observer = new ResizeObserver((entries) => {
  for (const e of entries) echarts.getInstanceByDom(e.target as HTMLElement)?.resize();
});

// Creates (or replaces) the chart `name` in `el` with `option`.
export function makeChart(name: string, el: HTMLElement, option: Option): Chart {
  registry[name]?.dispose();
  const chart = echarts.init(el, undefined, { renderer: 'canvas' });
  chart.setOption(option);
  registry[name] = chart;
  observer.observe(el);
  return chart;
}

export function disposeCharts(): void {
  for (const [name, chart] of Object.entries(registry)) {
    observer.unobserve(chart.getDom());
    chart.dispose();
    delete registry[name];
  }
}

// Shared look: strategy colours (stable per name) and the axis style.
export const PALETTE = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed',
  '#0891b2', '#dc2626', '#65a30d', '#9333ea', '#475569'];
const STRATEGIES = ['layerwise', 'patch', 'stream1d', 'stream2d', 'hybrid', 'tinyops'];
export function strategyColor(s: string): string {
  const i = STRATEGIES.indexOf(s);
  return PALETTE[(i >= 0 ? i : STRATEGIES.length + (s.length % 4)) % PALETTE.length];
}

export const axisStyle = {
  axisLine: { lineStyle: { color: '#94a3b8' } },
  splitLine: { lineStyle: { color: '#e2e8f0' } },
  axisLabel: { color: '#475569' },
  nameTextStyle: { color: '#334155', fontWeight: 600 },
};
