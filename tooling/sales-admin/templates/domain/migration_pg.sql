-- {{ c.n.pascal_plural }} (sales-admin domain new {{ c.n.name }}). Soft delete: a deleted row stays,
-- hidden from reads. Money is an integer number of cents.
CREATE TABLE {{ c.n.plural }} (
    {{ c.n.name }}_id UUID NOT NULL,
    user_id UUID NOT NULL,
{%- for f in c.fields %}
    {{ f.column }} {{ f.pg }}{% if !f.optional %} NOT NULL{% endif %},
{%- endfor %}
    version BIGINT NOT NULL,
    date_created TIMESTAMPTZ NOT NULL,
    date_updated TIMESTAMPTZ NOT NULL,
    date_deleted TIMESTAMPTZ NULL,
    CONSTRAINT {{ c.n.plural }}_pkey PRIMARY KEY ({{ c.n.name }}_id),
    CONSTRAINT {{ c.n.plural }}_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (user_id)
{%- for f in c.fields %}{% if f.is_user %},
    CONSTRAINT {{ c.n.plural }}_{{ f.column }}_fkey FOREIGN KEY ({{ f.column }}) REFERENCES users (user_id)
{%- endif %}{% endfor %}
);
-- Live rows in id order: the default listing and its COUNT(*).
CREATE INDEX {{ c.n.plural }}_live_idx ON {{ c.n.plural }} ({{ c.n.name }}_id) WHERE date_deleted IS NULL;
CREATE INDEX {{ c.n.plural }}_user_id_idx ON {{ c.n.plural }} (user_id) WHERE date_deleted IS NULL;
{%- for f in c.fields %}{% if f.unique %}
CREATE UNIQUE INDEX {{ c.n.plural }}_{{ f.column }}_key ON {{ c.n.plural }} ({{ f.column }}) WHERE date_deleted IS NULL;
{%- endif %}{% endfor %}
