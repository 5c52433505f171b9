/** @odoo-module **/

import {registry} from "@web/core/registry";

// A customer answers a reminder on a phone (390 px): from the email's link,
// through the form, to the confirmation. One tour per answer; the test opens
// each one on its reminder's real link.

function fitsThePhone() {
    return {
        content: "The page fits the phone's width",
        trigger: ".o_renewal_answer_page",
        run() {
            const root = document.documentElement;
            if (root.scrollWidth > window.innerWidth + 1) {
                throw new Error(
                    `The page is ${root.scrollWidth}px wide on a ${window.innerWidth}px screen.`
                );
            }
        },
    };
}

registry.category("web_tour.tours").add("renewal_answer_renew_tour", {
    steps: () => [
        fitsThePhone(),
        {
            content: "The contract is shown",
            trigger: ".o_renewal_contract_summary:contains(CT-TOUR-1)",
        },
        {
            content: "The form of the answer the email's button chose",
            trigger: ".o_renewal_answer_form h2:contains(Renew)",
        },
        {
            trigger: ".o_renewal_answer_form textarea[name=note]",
            run: "edit Glad to continue",
        },
        {
            content: "Send the answer",
            trigger: ".o_renewal_submit",
            run: "click",
        },
        {
            content: "Recorded, with what happens next",
            trigger: ".o_renewal_answered .o_renewal_answer_label:contains(Renew)",
        },
        fitsThePhone(),
    ],
});

registry.category("web_tour.tours").add("renewal_answer_more_time_tour", {
    steps: () => [
        fitsThePhone(),
        {
            content: "Choose the answer",
            trigger: ".o_renewal_choice_more_time",
            run: "click",
        },
        {
            content: "The budget is not approved yet",
            trigger: ".o_renewal_answer_form input[value=budget_pending]",
            run: "click",
        },
        {
            trigger: ".o_renewal_answer_form textarea[name=note]",
            run: "edit Board meets next month",
        },
        {
            trigger: ".o_renewal_submit",
            run: "click",
        },
        {
            content: "The next reminders wait",
            trigger: ".o_renewal_answered .o_renewal_next_step:contains(wait)",
        },
    ],
});

registry.category("web_tour.tours").add("renewal_answer_not_renew_tour", {
    steps: () => [
        fitsThePhone(),
        {
            content: "Choose the answer",
            trigger: ".o_renewal_choice_not_renew",
            run: "click",
        },
        {
            content: "Sending without a reason says what to fix",
            trigger: ".o_renewal_submit",
            run: "click",
        },
        {
            trigger: ".o_renewal_errors:contains(why you will not renew)",
        },
        {
            content: "Say why",
            trigger: ".o_renewal_answer_form select[name=lost_reason_id]",
            run: "selectByLabel We chose a competitor",
        },
        {
            trigger: ".o_renewal_submit",
            run: "click",
        },
        {
            trigger: ".o_renewal_answered .o_renewal_answer_label:contains(Will Not Renew)",
        },
    ],
});
