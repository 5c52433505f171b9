/** @odoo-module **/

import {registry} from "@web/core/registry";
import {GraphRenderer} from "@web/views/graph/graph_renderer";
import {graphView} from "@web/views/graph/graph_view";

// Each renewal status keeps its colour, whatever else the graph shows:
// healthy states are never painted red.
export const RENEWAL_STATE_COLORS = {
    upcoming: "#4EA7F2",
    reminding: "#43C5B1",
    review: "#FFBC2C",
    more_time: "#8481DD",
    accepted: "#00A78D",
    lapsed: "#F48935",
    renewed: "#28A745",
    lost: "#CE4257",
    no_end_date: "#A4A8B6",
};

/** The renewal status a dataset stands for: the one all its points share. */
function datasetState(dataset) {
    const states = new Set();
    for (const identifier of dataset.identifiers || []) {
        for (const value of JSON.parse(identifier)) {
            if (value && "renewal_state" in value) {
                states.add(value.renewal_state);
            }
        }
    }
    return states.size === 1 ? [...states][0] : null;
}

export class RenewalGraphRenderer extends GraphRenderer {
    getBarChartData() {
        const data = super.getBarChartData();
        for (const dataset of data.datasets) {
            const color = RENEWAL_STATE_COLORS[datasetState(dataset)];
            if (color) {
                dataset.backgroundColor = color;
            }
        }
        return data;
    }

    getLineChartData() {
        const data = super.getLineChartData();
        for (const dataset of data.datasets) {
            const color = RENEWAL_STATE_COLORS[datasetState(dataset)];
            if (color) {
                dataset.borderColor = color;
                dataset.pointBackgroundColor = color;
            }
        }
        return data;
    }
}

registry.category("views").add("renewal_graph", {
    ...graphView,
    Renderer: RenewalGraphRenderer,
});
