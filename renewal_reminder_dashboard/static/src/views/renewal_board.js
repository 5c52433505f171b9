/** @odoo-module **/

import {Component, onWillStart, onWillUpdateProps, useState} from "@odoo/owl";
import {getCurrency} from "@web/core/currency";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {KanbanController} from "@web/views/kanban/kanban_controller";
import {KanbanHeader} from "@web/views/kanban/kanban_header";
import {KanbanRenderer} from "@web/views/kanban/kanban_renderer";
import {kanbanView} from "@web/views/kanban/kanban_view";

/** The id of a many2one value, whatever its shape. */
function many2oneId(value) {
    if (Array.isArray(value)) {
        return value[0];
    }
    return value && value.id;
}

/**
 * A column's total in the currency of its contracts' values (the company's):
 * Odoo's own header shows a bare number.
 */
export class RenewalBoardHeader extends KanbanHeader {
    get groupAggregate() {
        const aggregate = super.groupAggregate;
        const {sumField} = this.props.progressBarState.progressAttributes;
        const currencyField = sumField && sumField.currency_field;
        if (!currencyField || !aggregate.value) {
            return aggregate;
        }
        const ids = new Set(
            this.group.list.records.map((record) =>
                many2oneId(record.data[currencyField])
            )
        );
        const currency = ids.size === 1 && getCurrency([...ids][0]);
        return currency ? {...aggregate, currency} : aggregate;
    }
}

export class RenewalBoardRenderer extends KanbanRenderer {
    static components = {...KanbanRenderer.components, KanbanHeader: RenewalBoardHeader};
}

/** The renewal rate of the contracts on the board, against the team's target. */
export class RenewalTargetBanner extends Component {
    static template = "renewal_reminder_dashboard.RenewalTargetBanner";
    static props = {domain: {type: Array}};

    setup() {
        this.orm = useService("orm");
        this.state = useState({summary: null});
        onWillStart(() => this.load(this.props.domain));
        onWillUpdateProps((next) => {
            if (JSON.stringify(next.domain) !== JSON.stringify(this.props.domain)) {
                return this.load(next.domain);
            }
        });
    }

    async load(domain) {
        this.state.summary = await this.orm.call(
            "contract.contract",
            "renewal_target_summary",
            [domain]
        );
    }
}

export class RenewalBoardController extends KanbanController {
    static template = "renewal_reminder_dashboard.RenewalBoardView";
    static components = {...KanbanController.components, RenewalTargetBanner};
}

registry.category("views").add("renewal_board", {
    ...kanbanView,
    Controller: RenewalBoardController,
    Renderer: RenewalBoardRenderer,
});
